/**
 * A certificate authority in memory: an ECDSA P-256 CA (RFC 5280 basicConstraints CA:true, pathLen 0,
 * keyCertSign) and serving certificates it signs for DNS names and IP addresses (serverAuth). The
 * webhook's self-issued mode makes one per generation and drops the key; the simulators make one per
 * run for their HTTPS listeners. The CA key never leaves this object.
 */
// @peculiar/x509 depends on tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALGORITHM = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface CertificateAuthority {
  readonly caPem: string;
  /** A serving certificate for these names (DNS names, or IPv4/IPv6 addresses), valid as long as the CA. */
  issueServing(names: readonly string[]): Promise<ServingCertificate>;
}

export interface CertificateAuthorityOptions {
  readonly commonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/** 16 random bytes, first bit clear: a positive serial (RFC 5280 §4.1.2.2). */
function serialNumber(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
}

function subjectAltName(name: string): { type: "ip" | "dns"; value: string } {
  return /^[\d.]+$|:/.test(name) ? { type: "ip", value: name } : { type: "dns", value: name };
}

export async function createCertificateAuthority({ commonName, notBefore, notAfter }: CertificateAuthorityOptions): Promise<CertificateAuthority> {
  const caKeys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: `CN=${commonName}`,
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
  return {
    caPem: ca.toString("pem"),
    async issueServing(names) {
      const keys = await webcrypto.subtle.generateKey(ALGORITHM, true, ["sign", "verify"]);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serialNumber(),
        subject: `CN=${names[0] ?? "localhost"}`,
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
          new x509.SubjectAlternativeNameExtension(names.map(subjectAltName)),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
      return { certPem: cert.toString("pem"), keyPem: x509.PemConverter.encode(pkcs8, "PRIVATE KEY") };
    },
  };
}
