/**
 * A throwaway certificate authority for the simulators' HTTPS listeners (TokenReview server, Vault
 * simulator with TLS): an ECDSA P-256 CA and serving certificates for loopback names, so clients verify
 * TLS against `caPem` exactly as they would against a cluster CA (`kubernetes_ca_cert`, `VAULT_CACERT`).
 */
// @peculiar/x509 depends on tsyringe, which needs the Reflect metadata polyfill loaded first.
import "reflect-metadata";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;
const DAY_MS = 86_400_000;

export interface ServingCertificate {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface TestCertificateAuthority {
  readonly caPem: string;
  /** A serving certificate for the given DNS names and IP addresses (default: localhost, 127.0.0.1, ::1). */
  issueServing(names?: readonly string[]): Promise<ServingCertificate>;
}

const serial = (): string => Buffer.from(webcrypto.getRandomValues(new Uint8Array(16))).toString("hex").replace(/^[89a-f]/, "1");

async function keyPem(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

export async function createTestCertificateAuthority(commonName = "avi-sim test CA"): Promise<TestCertificateAuthority> {
  const caKeys: CryptoKeyPair = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
  const notBefore = new Date(Date.now() - DAY_MS);
  const notAfter = new Date(Date.now() + 30 * DAY_MS);
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${commonName}`,
    notBefore,
    notAfter,
    keys: caKeys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  return {
    caPem: ca.toString("pem"),
    async issueServing(names = ["localhost", "127.0.0.1", "::1"]) {
      const keys: CryptoKeyPair = await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"]);
      const cert = await x509.X509CertificateGenerator.create({
        serialNumber: serial(),
        subject: `CN=${names[0] ?? "localhost"}`,
        issuer: ca.subject,
        notBefore,
        notAfter,
        signingKey: caKeys.privateKey,
        publicKey: keys.publicKey,
        signingAlgorithm: ALG,
        extensions: [
          new x509.BasicConstraintsExtension(false, undefined, true),
          new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
          new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
          new x509.SubjectAlternativeNameExtension(names.map((n) => (/^[\d.]+$|:/.test(n) ? { type: "ip" as const, value: n } : { type: "dns" as const, value: n }))),
          await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
        ],
      });
      return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
    },
  };
}
