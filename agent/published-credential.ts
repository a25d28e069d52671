/** A credential as the output files and the loopback endpoint present it. */
import type { CredentialSpec } from "./config.js";
import type { S3Credential } from "./credential-format.js";
import type { Lifecycle } from "./lifecycle.js";

export interface PublishedCredential {
  readonly spec: CredentialSpec;
  readonly seq: number;
  readonly credential: S3Credential;
  /** The served `Expiration` (epoch ms), see rotation-policy.ts. */
  readonly expiration: number;
  /** When the credential stops working (epoch ms; Infinity when unknown). */
  readonly validUntil: number;
}

/** The current version of every credential fetched so far (expired ones included: files are never removed). */
export function publishedCredentials(machine: Lifecycle): PublishedCredential[] {
  const out: PublishedCredential[] = [];
  for (const c of machine.credentials.values()) {
    const v = c.current;
    const expiration = machine.served(c);
    if (v === undefined || expiration === undefined) continue;
    out.push({ spec: c.spec, seq: v.seq, credential: v.credential, expiration, validUntil: machine.validUntil(v) });
  }
  return out;
}

/** Values written into line-based files (INI, env) must not smuggle in extra lines. */
export function singleLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`${what} contains a line break or NUL; refusing to write it`);
  return value;
}
