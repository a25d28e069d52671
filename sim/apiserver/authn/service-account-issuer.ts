/**
 * A service-account token issuer like kube-apiserver's: **projected** (bound) tokens with the real claim
 * shapes (`iss`, `sub` = `system:serviceaccount:<ns>:<sa>`, `aud`, `exp`, `iat`, `nbf`, `jti`,
 * `kubernetes.io: {namespace, serviceaccount, pod}`) and legacy secret-based tokens. One RS256 (or
 * ES256) key signs both; `kid` is derived from the public key as Kubernetes does. The kubelet
 * simulator, e2e tests and agent tests mint pod tokens here; the TokenReview server validates them.
 */
import { createHash, KeyObject, randomBytes, randomUUID } from "node:crypto";
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type JWK } from "jose";
import { ClusterRegistry } from "./cluster-registry.js";

export interface NowSource {
  now(): number;
}

export interface ServiceAccountIssuerOptions {
  /** `--service-account-issuer`; default `https://kubernetes.default.svc.cluster.local`. */
  readonly issuer?: string;
  /** `--api-audiences` (used when a token or review names none); default `[issuer]`. */
  readonly apiAudiences?: readonly string[];
  /** Time source (share the Vault simulator's clock); default real time. */
  readonly clock?: NowSource;
  readonly algorithm?: "RS256" | "ES256";
  /** TokenRequest's minimum `expirationSeconds` (Kubernetes: 600). */
  readonly minExpirationSeconds?: number;
  /** Objects to validate against; default a new registry. */
  readonly cluster?: ClusterRegistry;
}

export interface ProjectedTokenRequest {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Bind to a pod (as the kubelet's projected volume does). */
  readonly podName?: string;
  readonly podUid?: string;
  /** Default: the API audiences. */
  readonly audiences?: readonly string[];
  /** Default 3600; at least `minExpirationSeconds`. */
  readonly expirationSeconds?: number;
  /** Issue time override, epoch ms (default: the clock). */
  readonly now?: number;
  readonly nodeName?: string;
  readonly nodeUid?: string;
}

export interface LegacyTokenRequest {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Name of the `kubernetes.io/service-account-token` Secret; default `<sa>-token-<5 chars>`. */
  readonly secretName?: string;
}

export const LEGACY_ISSUER = "kubernetes/serviceaccount";

export interface ServiceAccountIssuer {
  readonly issuer: string;
  readonly apiAudiences: readonly string[];
  readonly algorithm: "RS256" | "ES256";
  readonly keyId: string;
  /** SPKI PEM of the signing key (what Vault's `pem_keys` takes). */
  readonly publicKeyPem: string;
  readonly publicKey: KeyObject;
  readonly cluster: ClusterRegistry;
  readonly clock: NowSource;
  /** `{"keys":[…]}` as served at `/openid/v1/jwks`. */
  jwks(): { keys: JWK[] };
  /** Mint a projected token (registers the SA and pod if absent). */
  issue(request: ProjectedTokenRequest): Promise<string>;
  /** Mint a legacy secret-based token (registers the SA and its token Secret). */
  issueLegacy(request: LegacyTokenRequest): Promise<string>;
}

const SUFFIX_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";

/**
 * Create an issuer with a fresh signing key. Share the Vault simulator's clock (`{ clock: vault.clock }`)
 * so token `exp`/`iat` and Vault's checks agree when tests move time.
 */
export async function createServiceAccountIssuer(options: ServiceAccountIssuerOptions = {}): Promise<ServiceAccountIssuer> {
  const issuer = options.issuer ?? "https://kubernetes.default.svc.cluster.local";
  const apiAudiences = options.apiAudiences ?? [issuer];
  const algorithm = options.algorithm ?? "RS256";
  const clock = options.clock ?? { now: () => Date.now() };
  const minExpiration = options.minExpirationSeconds ?? 600;
  const cluster = options.cluster ?? new ClusterRegistry();
  const { privateKey, publicKey } = await generateKeyPair(algorithm, { extractable: true });
  const publicKeyPem = await exportSPKI(publicKey);
  const spkiDer = Buffer.from(publicKeyPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
  const keyId = createHash("sha256").update(spkiDer).digest("base64url");
  const jwk = { ...(await exportJWK(publicKey)), use: "sig", alg: algorithm, kid: keyId };

  return {
    issuer,
    apiAudiences,
    algorithm,
    keyId,
    publicKeyPem,
    publicKey: KeyObject.from(publicKey),
    cluster,
    clock,
    jwks: () => ({ keys: [jwk] }),
    async issue(req) {
      const expirationSeconds = req.expirationSeconds ?? 3600;
      if (!Number.isInteger(expirationSeconds) || expirationSeconds < minExpiration) {
        throw new Error(`spec.expirationSeconds: Invalid value: ${expirationSeconds}: may not specify a duration less than ${minExpiration / 60} minutes`);
      }
      if (req.podUid !== undefined && req.podName === undefined) throw new Error("podUid needs podName: a bound object reference names the pod");
      const sa = cluster.ensureServiceAccount(req.namespace, req.serviceAccount);
      const pod = req.podName === undefined ? undefined : cluster.ensurePod(req.namespace, req.podName, req.serviceAccount, req.podUid);
      const iat = Math.floor((req.now ?? clock.now()) / 1000);
      const k8s: Record<string, unknown> = { namespace: req.namespace };
      if (req.nodeName !== undefined) k8s.node = { name: req.nodeName, uid: req.nodeUid ?? randomUUID() };
      if (pod !== undefined) k8s.pod = { name: pod.name, uid: pod.uid };
      k8s.serviceaccount = { name: sa.name, uid: sa.uid };
      return new SignJWT({ "kubernetes.io": k8s })
        .setProtectedHeader({ alg: algorithm, kid: keyId })
        .setIssuer(issuer)
        .setSubject(`system:serviceaccount:${req.namespace}:${req.serviceAccount}`)
        .setAudience([...(req.audiences ?? apiAudiences)])
        .setIssuedAt(iat)
        .setNotBefore(iat)
        .setExpirationTime(iat + expirationSeconds)
        .setJti(randomUUID())
        .sign(privateKey);
    },
    async issueLegacy(req) {
      const sa = cluster.ensureServiceAccount(req.namespace, req.serviceAccount);
      const suffix = Array.from(randomBytes(5), (b) => SUFFIX_ALPHABET[b % SUFFIX_ALPHABET.length]).join("");
      const secretName = req.secretName ?? `${req.serviceAccount}-token-${suffix}`;
      const token = await new SignJWT({
        "kubernetes.io/serviceaccount/namespace": req.namespace,
        "kubernetes.io/serviceaccount/secret.name": secretName,
        "kubernetes.io/serviceaccount/service-account.name": sa.name,
        "kubernetes.io/serviceaccount/service-account.uid": sa.uid,
      })
        .setProtectedHeader({ alg: algorithm, kid: keyId })
        .setIssuer(LEGACY_ISSUER)
        .setSubject(`system:serviceaccount:${req.namespace}:${req.serviceAccount}`)
        .sign(privateKey);
      cluster.putTokenSecret({ namespace: req.namespace, name: secretName, uid: randomUUID(), serviceAccount: sa.name, token });
      return token;
    },
  };
}
