/**
 * The `token_*` role fields every auth method shares (Vault's `tokenutil.TokenParams`), with the
 * deprecated aliases (`policies`, `ttl`, `max_ttl`, `period`, `num_uses`, `bound_cidrs`).
 */
import { BlockList, isIP } from "node:net";
import { errorResponse } from "../server/errors.js";
import { getBool, getCommaList, getDuration, getInt, getString, type RequestData } from "../core/fields.js";
import type { TokenType } from "./token-store.js";

export type RoleTokenType = "default-service" | "default-batch" | "service" | "batch";

export interface TokenParams {
  ttl: number;
  maxTtl: number;
  period: number;
  explicitMaxTtl: number;
  policies: string[];
  boundCidrs: string[];
  noDefaultPolicy: boolean;
  numUses: number;
  type: RoleTokenType;
  /** Deprecated aliases that were written, so reads echo them as Vault does. */
  legacy: Set<"policies" | "ttl" | "max_ttl" | "period" | "num_uses" | "bound_cidrs">;
}

export const emptyTokenParams = (): TokenParams => ({
  ttl: 0,
  maxTtl: 0,
  period: 0,
  explicitMaxTtl: 0,
  policies: [],
  boundCidrs: [],
  noDefaultPolicy: false,
  numUses: 0,
  type: "default-service",
  legacy: new Set(),
});

const ALIASES = [
  ["policies", "token_policies"],
  ["ttl", "token_ttl"],
  ["max_ttl", "token_max_ttl"],
  ["period", "token_period"],
  ["num_uses", "token_num_uses"],
  ["bound_cidrs", "token_bound_cidrs"],
] as const;

function validateCidrs(cidrs: readonly string[]): void {
  for (const cidr of cidrs) {
    const [ip, bits] = cidr.split("/");
    const family = ip === undefined ? 0 : isIP(ip);
    const max = family === 6 ? 128 : 32;
    if (family === 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) throw errorResponse(`invalid CIDR address: ${cidr}`);
    new BlockList().addSubnet(ip!, bits === undefined ? max : Number(bits), family === 6 ? "ipv6" : "ipv4");
  }
}

/** Apply the fields present in `data` onto `params` (update semantics: absent fields are kept). */
export function parseTokenParams(data: RequestData, params: TokenParams): TokenParams {
  const out: TokenParams = { ...params, legacy: new Set(params.legacy) };
  for (const [old, current] of ALIASES) {
    if (data[old] !== undefined && data[current] !== undefined) throw errorResponse(`cannot specify both ${JSON.stringify(current)} and ${JSON.stringify(old)}`);
  }
  const pick = (old: (typeof ALIASES)[number][0], current: string): string | undefined => {
    if (data[current] !== undefined) {
      out.legacy.delete(old);
      return current;
    }
    if (data[old] !== undefined) {
      out.legacy.add(old);
      return old;
    }
    return undefined;
  };
  let key = pick("policies", "token_policies");
  if (key !== undefined) out.policies = getCommaList(data, key) ?? [];
  key = pick("ttl", "token_ttl");
  if (key !== undefined) out.ttl = getDuration(data, key);
  key = pick("max_ttl", "token_max_ttl");
  if (key !== undefined) out.maxTtl = getDuration(data, key);
  key = pick("period", "token_period");
  if (key !== undefined) out.period = getDuration(data, key);
  key = pick("num_uses", "token_num_uses");
  if (key !== undefined) out.numUses = getInt(data, key);
  key = pick("bound_cidrs", "token_bound_cidrs");
  if (key !== undefined) {
    out.boundCidrs = getCommaList(data, key) ?? [];
    validateCidrs(out.boundCidrs);
  }
  if (data.token_explicit_max_ttl !== undefined) out.explicitMaxTtl = getDuration(data, "token_explicit_max_ttl");
  if (data.token_no_default_policy !== undefined) out.noDefaultPolicy = getBool(data, "token_no_default_policy");
  if (data.token_type !== undefined) {
    const t = getString(data, "token_type");
    const normalized = t === "" || t === "default" ? "default-service" : t;
    if (!["default-service", "default-batch", "service", "batch"].includes(normalized)) throw errorResponse(`invalid 'token_type' value ${JSON.stringify(t)}`);
    out.type = normalized as RoleTokenType;
  }
  if (out.numUses < 0) throw errorResponse("'token_num_uses' cannot be negative");
  if (out.type.endsWith("batch") && out.period > 0) throw errorResponse("'token_type' cannot be 'batch' or 'default_batch' when set to generate periodic tokens");
  return out;
}

/** `PopulateTokenData`: the token fields on a role read. */
export function tokenParamsData(p: TokenParams): Record<string, unknown> {
  const data: Record<string, unknown> = {
    token_bound_cidrs: [...p.boundCidrs],
    token_explicit_max_ttl: Math.trunc(p.explicitMaxTtl),
    token_max_ttl: Math.trunc(p.maxTtl),
    token_no_default_policy: p.noDefaultPolicy,
    token_num_uses: p.numUses,
    token_period: Math.trunc(p.period),
    token_policies: [...p.policies],
    token_ttl: Math.trunc(p.ttl),
    token_type: p.type,
  };
  if (p.legacy.has("policies")) data.policies = [...p.policies];
  if (p.legacy.has("bound_cidrs")) data.bound_cidrs = [...p.boundCidrs];
  if (p.legacy.has("ttl") && p.ttl > 0) data.ttl = Math.trunc(p.ttl);
  if (p.legacy.has("max_ttl") && p.maxTtl > 0) data.max_ttl = Math.trunc(p.maxTtl);
  if (p.legacy.has("period") && p.period > 0) data.period = Math.trunc(p.period);
  if (p.legacy.has("num_uses") && p.numUses > 0) data.num_uses = p.numUses;
  return data;
}

export const tokenTypeOf = (t: RoleTokenType): TokenType => (t === "batch" || t === "default-batch" ? "batch" : "service");
