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

export function loadTlsMaterial([cert = "", key = ""]: readonly string[]): TlsMaterial {
  const options: SecureContextOptions = { cert, key, minVersion: TLS_MIN_VERSION, ciphers: TLS_CIPHERS };
  try {
    createSecureContext(options);
  } catch (err) {
    throw new Error(`TLS certificate/key rejected: ${(err as Error).message}`, { cause: err });
  }
  const leaf = new X509Certificate(cert);
  return { options, notAfter: new Date(leaf.validTo), subjectAltName: leaf.subjectAltName ?? "" };
}
