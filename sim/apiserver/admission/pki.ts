/**
 * What a cluster admin (or cert-manager) does before registering a webhook: a CA whose PEM becomes the
 * MutatingWebhookConfiguration's caBundle, and a serving certificate for the Service DNS name
 * `<svc>.<ns>.svc` (the API server verifies the DNS SAN; the CN is ignored, reference §1.1).
 */
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKeyPair = webcrypto.CryptoKeyPair;

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface CertificateAuthority {
  certPem: string;
  name: string;
  keys: CryptoKeyPair;
}

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
  notAfter: Date;
  serialNumber: string;
}

export async function createCertificateAuthority(name = "avi-test-ca"): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]));
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    notBefore: new Date(now - 60_000),
    notAfter: new Date(now + 365 * 86_400_000),
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
    ],
  });
  return { certPem: cert.toString("pem"), name, keys };
}

export interface ServingOptions {
  dnsNames: string[];
  ipAddresses?: string[];
  validForMs?: number;
}

export async function issueServingCertificate(ca: CertificateAuthority, options: ServingOptions): Promise<ServingCertificate> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]));
  const now = Date.now();
  const notAfter = new Date(now + (options.validForMs ?? 30 * 86_400_000));
  const serialNumber = randomSerial();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber,
    subject: `CN=${options.dnsNames[0] ?? "webhook"}`,
    issuer: `CN=${ca.name}`,
    notBefore: new Date(now - 60_000),
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: ca.keys.privateKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...options.dnsNames.map((value) => ({ type: "dns" as const, value })),
        ...(options.ipAddresses ?? []).map((value) => ({ type: "ip" as const, value })),
      ]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  return { certPem: cert.toString("pem"), keyPem: toPem("PRIVATE KEY", pkcs8), notAfter, serialNumber };
}

/** The DNS name the API server uses as TLS ServerName for a `service` client config. */
export function serviceDnsName(service: { name: string; namespace: string }): string {
  return `${service.name}.${service.namespace}.svc`;
}

function toPem(label: string, der: ArrayBuffer): string {
  const body = Buffer.from(der).toString("base64").replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(12));
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return Buffer.from(bytes).toString("hex");
}
