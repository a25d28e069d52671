/**
 * One certificate generation for the self-issued mode: a fresh ECDSA P-256 CA and a serving
 * certificate it signs (like vault-k8s's auto-TLS, `helper/cert/source_gen.go`, v1.7). The CA's private key is
 * used once and dropped — it is never stored — so rotation always means a new CA, announced in the
 * webhook's caBundle before it is served.
 */
import { createCertificateAuthority } from "./certificate-authority.js";

/** Certificates start an hour in the past, so replicas and API servers with skewed clocks accept them. */
const BACKDATE_MS = 3_600_000;

export interface CertificateGeneration {
  readonly caPem: string;
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssueRequest {
  /** Epoch ms. */
  readonly now: number;
  readonly validityMs: number;
  /** Service DNS names (`<svc>.<ns>.svc` is what the API server checks). */
  readonly dnsNames: readonly string[];
}

export type Issuer = (request: IssueRequest) => Promise<CertificateGeneration>;

export const issueGeneration: Issuer = async ({ now, validityMs, dnsNames }) => {
  const ca = await createCertificateAuthority({ commonName: `airflow-vault-injector CA ${new Date(now).toISOString()}`, notBefore: new Date(now - BACKDATE_MS), notAfter: new Date(now + validityMs) });
  const serving = await ca.issueServing(dnsNames.length > 0 ? dnsNames : ["airflow-vault-injector"]);
  return { caPem: ca.caPem, ...serving };
};

/** `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.<clusterDomain>`. */
export function serviceDnsNames(service: string, namespace: string, clusterDomain = "cluster.local"): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}
