/**
 * Vault response bodies, validated at the edge (Vault `sdk/logical/translate_response.go` envelope,
 * vault-plugin-auth-kubernetes `path_login.go`, `vault/token_store.go`, `vault/logical_system.go` leases,
 * `http/sys_health.go`). zod/mini keeps the agent's per-pod start time and memory low.
 * Unknown keys are ignored (newer Vault adds fields); `null` lists count as empty.
 */
import * as z from "zod/mini";

const stringList = z.optional(z.nullable(z.array(z.string())));
const seconds = z.number().check(z.nonnegative());

/**
 * The longest TTL the agent accepts from Vault. Vault's own ceiling is the mount's max_lease_ttl
 * (32 days by default); anything past ten years is a broken or hostile answer, and past ~270 000
 * years it is not even a date (a RangeError deep in the agent rather than a named error).
 */
export const MAX_LEASE_SECONDS = 10 * 365 * 24 * 3600;

const authSchema = z.object({
  client_token: z.string().check(z.minLength(1)),
  accessor: z.optional(z.string()),
  policies: stringList,
  lease_duration: seconds,
  renewable: z.boolean(),
  token_type: z.optional(z.string()),
});

const authEnvelope = z.object({ auth: authSchema, warnings: stringList });

const secretEnvelope = z.object({
  lease_id: z.optional(z.nullable(z.string())),
  lease_duration: z.optional(z.nullable(seconds)),
  renewable: z.optional(z.nullable(z.boolean())),
  data: z.optional(z.nullable(z.record(z.string(), z.unknown()))),
  warnings: stringList,
});

const leaseEnvelope = z.object({
  lease_id: z.optional(z.nullable(z.string())),
  lease_duration: seconds,
  renewable: z.boolean(),
  warnings: stringList,
});

const lookupEnvelope = z.object({
  data: z.object({
    accessor: z.optional(z.string()),
    ttl: seconds,
    renewable: z.optional(z.boolean()),
    expire_time: z.optional(z.nullable(z.string())),
    policies: stringList,
  }),
});

const healthBody = z.object({
  initialized: z.boolean(),
  sealed: z.boolean(),
  standby: z.boolean(),
  version: z.optional(z.string()),
});

export interface VaultAuth {
  readonly clientToken: string;
  readonly accessor: string;
  readonly leaseDurationS: number;
  readonly renewable: boolean;
  readonly policies: readonly string[];
  readonly warnings: readonly string[];
}

export interface VaultSecret {
  /** Empty for lease-less secrets (KV). */
  readonly leaseId: string;
  readonly leaseDurationS: number;
  readonly renewable: boolean;
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly warnings: readonly string[];
}

export interface LeaseRenewal {
  readonly leaseDurationS: number;
  readonly renewable: boolean;
  readonly warnings: readonly string[];
}

export interface TokenInfo {
  readonly accessor: string;
  readonly ttlS: number;
  readonly renewable: boolean;
  readonly expireTime: string | null;
  readonly policies: readonly string[];
}

export interface VaultHealth {
  readonly initialized: boolean;
  readonly sealed: boolean;
  readonly standby: boolean;
  readonly version: string;
}

/** The body did not have the shape the Vault API documents. */
export class ResponseShapeError extends Error {
  override readonly name = "ResponseShapeError";
}

function check<T>(schema: z.ZodMiniType<T>, body: unknown, what: string): T {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issues = result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.code}${"expected" in i ? ` (expected ${String(i.expected)})` : ""}`);
  throw new ResponseShapeError(`unexpected ${what} response: ${issues.join("; ")}`);
}

/**
 * A TTL the agent can schedule with: 1 s to MAX_LEASE_SECONDS. `allowZero` for lease-less secrets (KV),
 * which Vault answers with lease_duration 0.
 */
function leaseSeconds(value: number, what: string, allowZero = false): number {
  if (Number.isFinite(value) && value <= MAX_LEASE_SECONDS && (value >= 1 || (allowZero && value === 0))) return value;
  throw new ResponseShapeError(
    `unusable ${what} lease_duration ${String(value)}: Vault must return between 1 s and ${MAX_LEASE_SECONDS} s (10 years); check the TTL settings of the role or mount`,
  );
}

export function parseAuth(body: unknown): VaultAuth {
  const { auth, warnings } = check(authEnvelope, body, "auth");
  return {
    clientToken: auth.client_token,
    accessor: auth.accessor ?? "",
    leaseDurationS: leaseSeconds(auth.lease_duration, "token"),
    renewable: auth.renewable,
    policies: auth.policies ?? [],
    warnings: warnings ?? [],
  };
}

export function parseSecret(body: unknown): VaultSecret {
  const s = check(secretEnvelope, body, "secret");
  const leaseId = s.lease_id ?? "";
  return {
    leaseId,
    leaseDurationS: leaseSeconds(s.lease_duration ?? 0, "secret", leaseId === ""),
    renewable: s.renewable ?? false,
    data: s.data ?? null,
    warnings: s.warnings ?? [],
  };
}

export function parseLeaseRenewal(body: unknown): LeaseRenewal {
  const l = check(leaseEnvelope, body, "lease renewal");
  return { leaseDurationS: leaseSeconds(l.lease_duration, "lease renewal"), renewable: l.renewable, warnings: l.warnings ?? [] };
}

export function parseLookup(body: unknown): TokenInfo {
  const { data } = check(lookupEnvelope, body, "token lookup");
  return {
    accessor: data.accessor ?? "",
    ttlS: data.ttl,
    renewable: data.renewable ?? false,
    expireTime: data.expire_time ?? null,
    policies: data.policies ?? [],
  };
}

export function parseHealth(body: unknown): VaultHealth {
  const h = check(healthBody, body, "sys/health");
  return { initialized: h.initialized, sealed: h.sealed, standby: h.standby, version: h.version ?? "" };
}
