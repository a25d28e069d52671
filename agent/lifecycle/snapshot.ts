/**
 * Read-only views of the lifecycle for the outside: status.json, metrics and the loopback endpoint.
 * A snapshot is plain data computed on demand; it holds no secret (the Vault token and lease ids
 * appear only as fingerprints, credential keys not at all). The credential keys are published
 * separately, to the files and the endpoint that exist to hand them out.
 */
import type { CredentialSpec } from "../config.js";
import type { S3Credential } from "../credential-format.js";
import type { ErrorInfo, Phase } from "./types.js";

export interface VersionSnapshot {
  readonly seq: number;
  /** When the secret was (last) requested: issue time for leases, last read for KV. */
  readonly issuedAt: number;
  /** The lease's own end (Infinity when the secret has no expiry). */
  readonly leaseEnd: number;
  /** When it stops working: its lease end, or its token's end once that cannot move. */
  readonly validUntil: number;
  readonly leaseMs: number;
  readonly renewable: boolean;
  /** Known to be revoked in Vault (lease not found, or the token that created it died). */
  readonly leaseLost: boolean;
  /** Fingerprint of the lease id; undefined for lease-less secrets. */
  readonly lease: string | undefined;
}

export interface CredentialSnapshot {
  readonly spec: CredentialSpec;
  readonly version: VersionSnapshot | undefined;
  /** The `Expiration` served for the current version. */
  readonly expiration: number | undefined;
  readonly nextRefreshAt: number | undefined;
  readonly written: boolean;
  readonly lastError: ErrorInfo | undefined;
  readonly stats: { readonly fetches: number; readonly rotations: number; readonly renewals: number; readonly failures: number };
}

export interface LifecycleSnapshot {
  readonly phase: Phase;
  /** Every credential has been written to disk at least once. */
  readonly ready: boolean;
  readonly vault: {
    /** A token that is neither dead nor expired at the snapshot's time. */
    readonly authenticated: boolean;
    /** Fingerprint of the current token's accessor. */
    readonly token: string | undefined;
    readonly tokenExpiresAt: number | undefined;
    readonly loginInFlight: boolean;
    readonly lastLoginAt: number | undefined;
    readonly lastError: ErrorInfo | undefined;
    readonly stats: { readonly logins: number; readonly loginFailures: number; readonly renewals: number; readonly renewFailures: number };
  };
  readonly files: { readonly consecutiveFailures: number; readonly failures: number; readonly writes: number; readonly lastError: ErrorInfo | undefined };
  readonly credentials: ReadonlyMap<string, CredentialSnapshot>;
}

/** A credential as the output files and the loopback endpoint present it. */
export interface PublishedCredential {
  readonly spec: CredentialSpec;
  readonly seq: number;
  readonly credential: S3Credential;
  /** The served `Expiration` (epoch ms), see rotation-policy.ts. */
  readonly expiration: number;
  /** When the credential stops working (epoch ms; Infinity when unknown). */
  readonly validUntil: number;
}

/** What status, metrics, files and the endpoint may see of the machine. */
export interface LifecycleView {
  readonly phase: Phase;
  readonly ready: boolean;
  readonly credentialNames: readonly string[];
  snapshot(now: number): LifecycleSnapshot;
  /** The current version of every credential fetched so far (expired ones included: files are never removed). */
  published(): PublishedCredential[];
}
