/**
 * The contract suite's driver: the same tests talk HTTP to whichever Vault is the target: the simulator
 * (clock frozen, advanced by the tests) and, only when `AVI_REAL_VAULT_ADDR`/`AVI_REAL_VAULT_TOKEN` are
 * set, also that real server (time really passes; tests keep waits to a few seconds). The usual
 * `VAULT_ADDR`/`VAULT_TOKEN` are ignored on purpose: they often point at a real cluster, and these tests
 * mount engines and write policies. Each contract
 * `describe` is registered twice; the real-Vault copy shows as skipped, with the reason, when no real
 * Vault is configured.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe } from "vitest";
import { startVaultSim, type VaultSim } from "../../../../sim/vault/index.js";

/** Parsed JSON of a wire body (an `any` by another name: tests poke at response shapes freely). */
export type WireJson = ReturnType<typeof JSON.parse>;

export interface Reply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  /** Parsed body (undefined for an empty body). */
  readonly body: WireJson;
}

export interface RequestOptions {
  /** Token to send as X-Vault-Token; default the root token; `null` sends none. */
  readonly token?: string | null;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

export interface VaultTarget {
  readonly kind: "sim" | "real";
  readonly address: string;
  readonly rootToken: string;
  /** The simulator (sim target only). */
  readonly sim?: VaultSim;
  request(method: string, path: string, options?: RequestOptions): Promise<Reply>;
  /** Let `seconds` pass: the sim's clock jumps; against real Vault this really waits (keep it small). */
  advance(seconds: number): Promise<void>;
  /** A name unlikely to collide with anything on a shared real Vault. */
  unique(prefix: string): string;
  /** Enable a secrets engine / auth method at a unique path, disabled again at cleanup. */
  mount(kind: "secret" | "auth", type: string, options?: Record<string, unknown>): Promise<string>;
  /** Disable this mount at cleanup (for mounts enabled by other helpers). */
  track(kind: "secret" | "auth", path: string): void;
  cleanup(): Promise<void>;
}

const REAL_VAULT_ADDR = process.env["AVI_REAL_VAULT_ADDR"] ?? "";
const REAL_VAULT_TOKEN = process.env["AVI_REAL_VAULT_TOKEN"] ?? "";
export const REAL_VAULT = REAL_VAULT_ADDR !== "" && REAL_VAULT_TOKEN !== "";

function makeTarget(kind: "sim" | "real", address: string, rootToken: string, sim?: VaultSim): VaultTarget {
  const mounts: { kind: "secret" | "auth"; path: string }[] = [];
  // On a shared real Vault, leave nothing behind: policies written and tokens issued are removed at cleanup.
  const policies = new Set<string>();
  const accessors = new Set<string>();
  const target: VaultTarget = {
    kind,
    address,
    rootToken,
    sim,
    async request(method, path, options = {}) {
      const headers: Record<string, string> = { "X-Vault-Request": "true", ...options.headers };
      const token = options.token === undefined ? rootToken : options.token;
      if (token !== null) headers["X-Vault-Token"] = token;
      let body: string | undefined;
      if (options.body !== undefined) {
        body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
        headers["Content-Type"] ??= "application/json";
      }
      const res = await fetch(`${address}${path}`, { method, headers, body });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text === "" ? undefined : JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const policy = /^\/v1\/sys\/policies\/acl\/([^/?]+)$/.exec(path);
      if (policy !== null && (method === "PUT" || method === "POST")) policies.add(policy[1]!);
      const accessor = (parsed as { auth?: { accessor?: unknown } } | undefined)?.auth?.accessor;
      if (typeof accessor === "string" && accessor !== "") accessors.add(accessor);
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    async advance(seconds) {
      if (sim !== undefined) sim.clock.advance(seconds * 1000);
      else await new Promise((r) => setTimeout(r, seconds * 1000));
    },
    unique: (prefix) => `${prefix}-${randomBytes(4).toString("hex")}`,
    async mount(kindOfMount, type, options = {}) {
      const path = target.unique(type.replace(/[^a-z0-9]/g, ""));
      const res = await target.request("POST", `/v1/sys/${kindOfMount === "auth" ? "auth" : "mounts"}/${path}`, { body: { type, ...options } });
      if (res.status !== 204) throw new Error(`enabling ${type} at ${path}: ${res.status} ${res.text}`);
      mounts.push({ kind: kindOfMount, path });
      return path;
    },
    track(kindOfMount, path) {
      mounts.push({ kind: kindOfMount, path });
    },
    async cleanup() {
      if (sim === undefined) {
        for (const a of accessors) await target.request("POST", "/v1/auth/token/revoke-accessor", { body: { accessor: a } }).catch(() => undefined);
        for (const p of policies) await target.request("DELETE", `/v1/sys/policies/acl/${p}`).catch(() => undefined);
      }
      for (const m of mounts.reverse()) await target.request("DELETE", `/v1/sys/${m.kind === "auth" ? "auth" : "mounts"}/${m.path}`).catch(() => undefined);
      if (sim !== undefined) await sim.stop();
    },
  };
  return target;
}

/** A fresh simulator target: frozen clock (tests move time), loopback, ephemeral port. */
export async function simTarget(options: Parameters<typeof startVaultSim>[0] = {}): Promise<VaultTarget> {
  const sim = await startVaultSim({ clock: { scale: 0 }, ...options });
  return makeTarget("sim", sim.address, sim.rootToken, sim);
}

export function realTarget(): VaultTarget {
  return makeTarget("real", REAL_VAULT_ADDR.replace(/\/+$/, ""), REAL_VAULT_TOKEN);
}

/** Set when the real Vault cannot reach this machine's loopback (the TokenReview and STS stand-ins live there). */
const NO_LOOPBACK_REACH = process.env.AVI_CONTRACT_VAULT_CANNOT_REACH_LOOPBACK === "1";

export interface ContractOptions {
  /** The real Vault must call back into servers this test starts on 127.0.0.1 (TokenReview, STS). */
  readonly callsBack?: boolean;
}

/**
 * Register a contract `describe` for the simulator and for real Vault. `body` gets a getter for the
 * target (set in `beforeAll`). The real-Vault copy is skipped, with the reason in its title, when no
 * real Vault is configured (or when it cannot reach loopback and the tests need it to).
 */
export function describeContract(title: string, body: (target: () => VaultTarget, kind: "sim" | "real") => void, options: ContractOptions = {}): void {
  for (const kind of ["sim", "real"] as const) {
    const unreachable = options.callsBack === true && NO_LOOPBACK_REACH;
    const label =
      kind === "sim"
        ? `${title} [simulator]`
        : !REAL_VAULT
          ? `${title} [real Vault: skipped, set AVI_REAL_VAULT_ADDR and AVI_REAL_VAULT_TOKEN (a dev Vault the tests may change) to run against one]`
          : unreachable
            ? `${title} [real Vault: skipped, AVI_CONTRACT_VAULT_CANNOT_REACH_LOOPBACK=1 and these tests need Vault to call 127.0.0.1]`
            : `${title} [real Vault at ${REAL_VAULT_ADDR}]`;
    describe.skipIf(kind === "real" && (!REAL_VAULT || unreachable))(label, () => {
      let target: VaultTarget | undefined;
      beforeAll(async () => {
        target = kind === "sim" ? await simTarget() : realTarget();
      });
      afterAll(async () => {
        await target?.cleanup();
      });
      body(() => {
        if (target === undefined) throw new Error("contract target not started");
        return target;
      }, kind);
    });
  }
}

/** `TTL of "<ttl>" exceeded …` with a remaining time that may be a second or two short on a real server. */
export function ttlCapWarning(ttl: string, remaining: readonly string[]): RegExp {
  return new RegExp(`^TTL of "${ttl}" exceeded the effective max_ttl of "(${remaining.join("|")})"; TTL value is capped accordingly$`);
}
