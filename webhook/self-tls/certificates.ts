/**
 * One certificate generation for the self-issued mode: a fresh ECDSA P-256 CA and a serving
 * certificate it signs (like vault-k8s's auto-TLS, `helper/cert/source_gen.go`, v1.7). The CA's private key is
 * used once and dropped — it is never stored — so rotation always means a new CA, announced in the
 * webhook's caBundle before it is served.
 */
// @peculiar/x509 depends on tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
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

function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString("hex");
}

export const issueGeneration: Issuer = async ({ now, validityMs, dnsNames }) => {
  const notBefore = new Date(now - BACKDATE_MS);
  const notAfter = new Date(now + validityMs);
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=airflow-vault-injector CA ${new Date(now).toISOString()}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject: `CN=${dnsNames[0] ?? "airflow-vault-injector"}`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    signingKey: caKeys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(dnsNames.map((value) => ({ type: "dns" as const, value }))),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { caPem: ca.toString("pem"), certPem: cert.toString("pem"), keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
};

/** `<svc>`, `<svc>.<ns>`, `<svc>.<ns>.svc`, `<svc>.<ns>.svc.<clusterDomain>`. */
export function serviceDnsNames(service: string, namespace: string, clusterDomain = "cluster.local"): string[] {
  return [service, `${service}.${namespace}`, `${service}.${namespace}.svc`, `${service}.${namespace}.svc.${clusterDomain}`];
}
