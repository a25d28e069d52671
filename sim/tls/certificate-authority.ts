/**
 * A throwaway certificate authority for the simulators' HTTPS listeners (TokenReview server, Vault
 * simulator with TLS): the product's generator (webhook/self-tls/certificate-authority.ts) with
 * loopback names by default, so clients verify TLS against `caPem` exactly as they would against a
 * cluster CA (`kubernetes_ca_cert`, `VAULT_CACERT`).
 */
import { createCertificateAuthority, type ServingCertificate } from "../../webhook/self-tls/certificate-authority.js";

export type { ServingCertificate } from "../../webhook/self-tls/certificate-authority.js";

const DAY_MS = 86_400_000;

export interface TestCertificateAuthority {
  readonly caPem: string;
  /** A serving certificate for the given DNS names and IP addresses (default: localhost, 127.0.0.1, ::1). */
  issueServing(names?: readonly string[]): Promise<ServingCertificate>;
}

export async function createTestCertificateAuthority(commonName = "avi-sim test CA"): Promise<TestCertificateAuthority> {
  const ca = await createCertificateAuthority({ commonName, notBefore: new Date(Date.now() - DAY_MS), notAfter: new Date(Date.now() + 30 * DAY_MS) });
  return { caPem: ca.caPem, issueServing: (names = ["localhost", "127.0.0.1", "::1"]) => ca.issueServing(names) };
}
