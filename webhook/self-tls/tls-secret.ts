/**
 * The Secret that is the single source of truth of the self-issued mode, read and written as plain
 * data. Layout (type kubernetes.io/tls, so the usual tools understand it):
 *
 *   tls.crt, tls.key   the serving certificate every replica serves
 *   ca.crt             every CA the webhook's caBundle must trust now (current first)
 *   next.crt, next.key a staged next certificate (its CA already in ca.crt), while rotating
 *   annotations airflow-vault.io/tls-staged-at, …/tls-promoted-at: when the rotation steps happened
 */
import { X509Certificate, createPrivateKey } from "node:crypto";
import type { OwnerReference, SecretObject } from "../kube/api.js";

export const SECRET_KEY = { cert: "tls.crt", key: "tls.key", ca: "ca.crt", nextCert: "next.crt", nextKey: "next.key" } as const;
export const ROTATION_ANNOTATION = { stagedAt: "airflow-vault.io/tls-staged-at", promotedAt: "airflow-vault.io/tls-promoted-at" } as const;

export interface CertifiedKey {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TlsSecretState {
  readonly serving: CertifiedKey & { readonly notBefore: number; readonly notAfter: number };
  /** ca.crt split into certificates, current CA first. */
  readonly trusted: readonly string[];
  readonly next?: CertifiedKey;
  readonly stagedAt?: number;
  readonly promotedAt?: number;
}

const PEM = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

export function splitPemBundle(bundle: string): string[] {
  return [...bundle.matchAll(PEM)].map((m) => `${m[0]}\n`);
}

export function joinPemBundle(pems: readonly string[]): string {
  return pems.map((p) => (p.endsWith("\n") ? p : `${p}\n`)).join("");
}

const decode = (data: Record<string, string> | undefined, key: string): string => Buffer.from(data?.[key] ?? "", "base64").toString("utf8");
const encode = (text: string): string => Buffer.from(text).toString("base64");

function checkPair(what: string, pair: CertifiedKey, trusted: readonly X509Certificate[]): X509Certificate {
  const cert = new X509Certificate(pair.certPem);
  if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) throw new Error(`${what}: the key does not match the certificate`);
  if (!trusted.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey))) throw new Error(`${what}: not signed by a CA in ${SECRET_KEY.ca}`);
  return cert;
}

function time(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : undefined;
}

/** Parses and checks the Secret; `invalid` says what is wrong (the mode then issues a new generation). */
export function readTlsSecret(secret: SecretObject): TlsSecretState | { invalid: string } {
  try {
    const trusted = splitPemBundle(decode(secret.data, SECRET_KEY.ca));
    if (trusted.length === 0) return { invalid: `${SECRET_KEY.ca} holds no certificate` };
    const cas = trusted.map((pem) => new X509Certificate(pem));
    const serving = { certPem: decode(secret.data, SECRET_KEY.cert), keyPem: decode(secret.data, SECRET_KEY.key) };
    const leaf = checkPair(SECRET_KEY.cert, serving, cas);
    const nextPair = { certPem: decode(secret.data, SECRET_KEY.nextCert), keyPem: decode(secret.data, SECRET_KEY.nextKey) };
    const hasNext = nextPair.certPem !== "" || nextPair.keyPem !== "";
    if (hasNext) checkPair(SECRET_KEY.nextCert, nextPair, cas);
    const stagedAt = time(secret.metadata.annotations?.[ROTATION_ANNOTATION.stagedAt]);
    const promotedAt = time(secret.metadata.annotations?.[ROTATION_ANNOTATION.promotedAt]);
    return {
      serving: { ...serving, notBefore: Date.parse(leaf.validFrom), notAfter: Date.parse(leaf.validTo) },
      trusted,
      ...(hasNext && { next: nextPair }),
      ...(stagedAt !== undefined && { stagedAt }),
      ...(promotedAt !== undefined && { promotedAt }),
    };
  } catch (err) {
    return { invalid: (err as Error).message };
  }
}

export interface TlsSecretContent {
  readonly serving: CertifiedKey;
  readonly trusted: readonly string[];
  readonly next?: CertifiedKey;
  readonly stagedAt?: number;
  readonly promotedAt?: number;
}

/** The Secret for `content`, keeping the identity (name, resourceVersion for the precondition) of `base`. */
export function tlsSecret(base: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string>; ownerReferences?: OwnerReference[] }, content: TlsSecretContent): SecretObject {
  const annotations: Record<string, string> = {};
  if (content.stagedAt !== undefined) annotations[ROTATION_ANNOTATION.stagedAt] = new Date(content.stagedAt).toISOString();
  if (content.promotedAt !== undefined) annotations[ROTATION_ANNOTATION.promotedAt] = new Date(content.promotedAt).toISOString();
  return {
    metadata: {
      name: base.name,
      namespace: base.namespace,
      ...(base.resourceVersion !== undefined && { resourceVersion: base.resourceVersion }),
      labels: { "app.kubernetes.io/managed-by": "airflow-vault-injector", ...base.labels },
      annotations,
      ...(base.ownerReferences !== undefined && base.ownerReferences.length > 0 && { ownerReferences: base.ownerReferences }),
    },
    type: "kubernetes.io/tls",
    data: {
      [SECRET_KEY.cert]: encode(content.serving.certPem),
      [SECRET_KEY.key]: encode(content.serving.keyPem),
      [SECRET_KEY.ca]: encode(joinPemBundle(content.trusted)),
      ...(content.next !== undefined && { [SECRET_KEY.nextCert]: encode(content.next.certPem), [SECRET_KEY.nextKey]: encode(content.next.keyPem) }),
    },
  };
}

/** The caBundle value (base64 of the PEM bundle) that trusts exactly `trusted`. */
export function caBundleOf(trusted: readonly string[]): string {
  return encode(joinPemBundle(trusted));
}
