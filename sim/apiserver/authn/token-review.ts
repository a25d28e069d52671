/**
 * kube-apiserver's service-account token authentication as a TokenReview sees it: issuer and signature,
 * audience intersection (implicit API audiences when the token or the review names none), time
 * validity with one minute of leeway, and the objects the token is bound to (service account, pod, or
 * the legacy token Secret). Failures read `[invalid bearer token, <reason>]`, as kube-apiserver's
 * aggregated authenticator errors do.
 */
import { compactVerify } from "jose";
import { LEGACY_ISSUER, type ServiceAccountIssuer } from "./service-account-issuer.js";

export interface ReviewUser {
  readonly username: string;
  readonly uid: string;
  readonly groups: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

export interface ReviewStatus {
  readonly authenticated: boolean;
  readonly user?: ReviewUser;
  readonly audiences?: readonly string[];
  readonly error?: string;
}

const LEEWAY_MS = 60_000;

/** Go's `%q` of a string slice: `["a" "b"]`. */
const goQuoteList = (list: readonly string[]): string => `[${list.map((s) => JSON.stringify(s)).join(" ")}]`;

function decode(segment: string): unknown {
  try {
    return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
  } catch {
    return undefined;
  }
}

const failed = (reason: string): ReviewStatus => ({ authenticated: false, error: `[invalid bearer token, ${reason}]` });

const obj = (v: unknown): Record<string, unknown> | undefined => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined);
const str = (v: unknown): string => (typeof v === "string" ? v : "");

/** Authenticate `token` for `audiences` (empty = the API audiences) at `now` (epoch ms). */
export async function reviewToken(issuer: ServiceAccountIssuer, token: string, audiences: readonly string[], now: number): Promise<ReviewStatus> {
  const parts = token.split(".");
  const claims = parts.length === 3 ? obj(decode(parts[1]!)) : undefined;
  const iss = claims === undefined ? "" : str(claims.iss);
  // A token no service-account authenticator recognises: "not mine", no error.
  if (claims === undefined || (iss !== issuer.issuer && iss !== LEGACY_ISSUER)) return { authenticated: false };
  try {
    await compactVerify(token, issuer.publicKey);
  } catch {
    return failed("square/go-jose: error in cryptographic primitive");
  }

  const aud = Array.isArray(claims.aud) ? claims.aud.filter((a): a is string => typeof a === "string") : typeof claims.aud === "string" ? [claims.aud] : [];
  const tokenAudiences = aud.length > 0 ? aud : [...issuer.apiAudiences];
  const requested = audiences.length > 0 ? [...audiences] : [...issuer.apiAudiences];
  const intersection = tokenAudiences.filter((a) => requested.includes(a));
  if (intersection.length === 0) {
    return failed(`token audiences ${goQuoteList(tokenAudiences)} is invalid for the target audiences ${goQuoteList(requested)}`);
  }

  const bound = iss === LEGACY_ISSUER ? validateLegacy(issuer, token, claims) : validateProjected(issuer, claims, now);
  if ("error" in bound) return failed(bound.error);
  const extra: Record<string, string[]> = {};
  if (bound.podName !== undefined) {
    extra["authentication.kubernetes.io/pod-name"] = [bound.podName];
    extra["authentication.kubernetes.io/pod-uid"] = [bound.podUid ?? ""];
  }
  if (bound.nodeName !== undefined) extra["authentication.kubernetes.io/node-name"] = [bound.nodeName];
  if (typeof claims.jti === "string") extra["authentication.kubernetes.io/credential-id"] = [`JTI=${claims.jti}`];
  return {
    authenticated: true,
    user: {
      username: `system:serviceaccount:${bound.namespace}:${bound.name}`,
      uid: bound.uid,
      groups: ["system:serviceaccounts", `system:serviceaccounts:${bound.namespace}`, "system:authenticated"],
      ...(Object.keys(extra).length > 0 ? { extra } : {}),
    },
    audiences: intersection,
  };
}

interface BoundIdentity {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly podName?: string;
  readonly podUid?: string;
  readonly nodeName?: string;
}

/** `pkg/serviceaccount/claims.go` validator. */
function validateProjected(issuer: ServiceAccountIssuer, claims: Record<string, unknown>, now: number): BoundIdentity | { error: string } {
  const exp = typeof claims.exp === "number" ? claims.exp * 1000 : undefined;
  const nbf = typeof claims.nbf === "number" ? claims.nbf * 1000 : undefined;
  if (exp !== undefined && now - LEEWAY_MS > exp) return { error: "service account token has expired" };
  if (nbf !== undefined && now + LEEWAY_MS < nbf) return { error: "service account token is not valid yet" };
  const k8s = obj(claims["kubernetes.io"]) ?? {};
  const namespace = str(k8s.namespace);
  const saRef = obj(k8s.serviceaccount) ?? {};
  const podRef = obj(k8s.pod);
  const sa = issuer.cluster.serviceAccount(namespace, str(saRef.name));
  if (sa === undefined) return { error: `serviceaccounts ${JSON.stringify(str(saRef.name))} not found` };
  if (sa.uid !== str(saRef.uid)) return { error: `service account UID (${sa.uid}) does not match claim (${str(saRef.uid)})` };
  let podName: string | undefined;
  let podUid: string | undefined;
  if (podRef !== undefined) {
    const pod = issuer.cluster.pod(namespace, str(podRef.name));
    if (pod === undefined) return { error: "service account token has been invalidated" };
    if (pod.uid !== str(podRef.uid)) return { error: `pod UID (${pod.uid}) does not match service account pod ref claim (${str(podRef.uid)})` };
    podName = pod.name;
    podUid = pod.uid;
  }
  const node = obj(k8s.node);
  return { namespace, name: sa.name, uid: sa.uid, podName, podUid, nodeName: node === undefined ? undefined : str(node.name) };
}

/** `pkg/serviceaccount/legacy.go` validator: the Secret must still hold this very token. */
function validateLegacy(issuer: ServiceAccountIssuer, token: string, claims: Record<string, unknown>): BoundIdentity | { error: string } {
  const namespace = str(claims["kubernetes.io/serviceaccount/namespace"]);
  const secretName = str(claims["kubernetes.io/serviceaccount/secret.name"]);
  const name = str(claims["kubernetes.io/serviceaccount/service-account.name"]);
  const uid = str(claims["kubernetes.io/serviceaccount/service-account.uid"]);
  const secret = issuer.cluster.tokenSecret(namespace, secretName);
  if (secret === undefined) return { error: "Token has been invalidated" };
  if (secret.token !== token) return { error: "Token does not match server's copy" };
  const sa = issuer.cluster.serviceAccount(namespace, name);
  if (sa === undefined) return { error: `serviceaccounts ${JSON.stringify(name)} not found` };
  if (sa.uid !== uid) return { error: `ServiceAccount UID (${sa.uid}) does not match claim (${uid})` };
  return { namespace, name, uid };
}
