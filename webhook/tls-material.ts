/**
 * Serving certificate + key, validated the way the TLS stack will use them (a key that does not match
 * the certificate throws here, while the previous pair keeps serving).
 */
import { X509Certificate } from "node:crypto";
import { createSecureContext, type SecureContextOptions } from "node:tls";
import { TLS_CIPHERS } from "./connection-limits.js";

export const TLS_MIN_VERSION = "TLSv1.2";

export interface TlsMaterial {
  options: SecureContextOptions;
  notAfter: Date;
  subjectAltName: string;
}

const PEM_CERTIFICATE = "-----BEGIN CERTIFICATE-----";
const PEM_PRIVATE_KEY = /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/;

/** What is wrong with the pair in words, before OpenSSL's decoder errors would say it less clearly. */
function pemProblem(cert: string, key: string): string | undefined {
  if (!cert.includes(PEM_CERTIFICATE) && PEM_PRIVATE_KEY.test(cert) && key.includes(PEM_CERTIFICATE)) {
    return "the certificate and key are swapped: the certificate file holds a private key and the key file a certificate";
  }
  if (!cert.includes(PEM_CERTIFICATE)) return `the certificate file holds no PEM certificate (${PEM_CERTIFICATE})`;
  if (!PEM_PRIVATE_KEY.test(key)) return "the key file holds no PEM private key (-----BEGIN PRIVATE KEY-----)";
  return undefined;
}

export function loadTlsMaterial([cert = "", key = ""]: readonly string[]): TlsMaterial {
  const options: SecureContextOptions = { cert, key, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS };
  const problem = pemProblem(cert, key);
  if (problem !== undefined) throw new Error(`TLS certificate/key rejected: ${problem}`);
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`TLS certificate/key rejected: ${(err as Error).message}`, { cause: err });
  }
  const leaf = new X509Certificate(cert);
  return { options, notAfter: new Date(leaf.validTo), subjectAltName: leaf.subjectAltName ?? "" };
}
