/**
 * The fault matrix, one table shared by `npm run bench:faults` (full table, printed) and
 * the CI test test/e2e/fault-matrix.test.ts: every fault of the issue's list, injected into sim/vault
 * (or the TokenReview side, the output directory, the process) around a real agent process run as
 * injected (bench/injected-agent.ts), on a clock scaled `scale`× (bench/scaled-clock.mjs, shared with
 * sim/vault) so that renewals an hour apart happen within seconds. Realistic TTLs: token 1 h / 24 h,
 * STS 1 h, iam_user 1 h / 12 h.
 *
 * While a case runs, a watcher reads both credential_process files and the endpoint every few real
 * milliseconds: a file that does not parse (truncated), a served credential past its Expiration, or
 * one with < 10 min left while Vault is reachable (outside a 4-minute recovery allowance after a
 * fault) fails the case, whatever its own checks say.
 */
import type { ChildProcess } from "node:child_process";
import { chmodSync, chownSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { SimClock } from "../sim/vault/time/clock.js";
import { startVaultStage, type StageOptions, type VaultStage } from "../test/support/vault-stage.js";
import { injectedAgent, spawnInjectedAgent, type InjectedAgentInput } from "./injected-agent.js";

const MIN = 60_000;
const HOUR = 60 * MIN;
const STALE_MS = 10 * MIN;
/** One retry after Vault is back: the agent schedules it within ¼ of the remaining validity (≤ 4 min while ≤ 16 min remain). */
const RECOVERY_MS = 4 * MIN;
/** The agent container's user (settings `agent.runAsUser` default): file permissions then bite. */
const AGENT_UID = 65532;

export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail?: string;
}

export interface CaseResult {
  readonly checks: Check[];
  /** Simulated ms from the fault's end (or the first chance to recover) to recovery. */
  readonly recoveryMs?: number;
  readonly exitCode?: number | null;
}

export interface FaultCase {
  readonly id: string;
  readonly fault: string;
  readonly expected: string;
  readonly stage?: StageOptions;
  /** Extra injector settings (`vault:` / `agent:`). */
  readonly settings?: Pick<InjectedAgentInput, "vault" | "agent">;
  /** Clock speed for this case (default the run's scale). */
  readonly scale?: number;
  /** Prepare before the agent starts (e.g. Vault down at start). */
  before?(ctx: CaseContext): Promise<void> | void;
  /** Don't wait for readiness before `run`. */
  readonly startsUnready?: boolean;
  run(ctx: CaseContext): Promise<CaseResult>;
}

interface Status {
  ready: boolean;
  endpoint?: { url: string };
  credentials: Record<string, { version: number | null; nextRefreshAt: string | null; lastError: unknown }>;
}

export interface CaseContext {
  readonly stage: VaultStage;
  readonly clock: SimClock;
  readonly agent: ChildProcess;
  readonly log: string[];
  readonly outputDir: string;
  /** Sim time now. */
  now(): number;
  /** Wait `simMs` of simulated time. */
  sleep(simMs: number): Promise<void>;
  /** Poll until `probe` returns true; returns the sim time; throws after `simTimeoutMs`. */
  until(probe: () => boolean | Promise<boolean>, simTimeoutMs: number, what: string): Promise<number>;
  status(): Status | undefined;
  /** GET the endpoint for `name` with `token` (default the agent's endpoint token; null = none). */
  serve(name: string, token?: string | null): Promise<{ status: number; expiration?: number; key?: string }>;
  /** The watcher treats Vault as unreachable from now until `markReachable()` (+ recovery allowance). */
  markUnreachable(): void;
  markReachable(): void;
  /** Sim time when credential `name` gets a new version (polls status.json). */
  nextVersion(name: string, simTimeoutMs: number): Promise<number>;
  /** Waits until `name`'s planned refresh is less than `leadMs` away (then the fault can be placed). */
  refreshDue(name: string, leadMs?: number): Promise<void>;
  agentRequests(path?: string): { time: number; path: string; status: number | string; fault?: string }[];
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const check = (name: string, ok: boolean, detail?: string): Check => ({ name, ok, ...(detail === undefined ? {} : { detail }) });

/** Status of the agent's own requests (by user agent). */
function requestsOf(stage: VaultStage, path?: string): { time: number; path: string; status: number | string; fault?: string }[] {
  return stage.vault.requestLog
    .entries({})
    .filter((e) => e.headers["user-agent"]?.startsWith("airflow-vault-injector-agent") === true && (path === undefined || e.path.includes(path)))
    .map((e) => ({ time: e.time, path: e.path, status: e.status, ...(e.fault === undefined ? {} : { fault: e.fault }) }));
}

// ------------------------------------------------------------------------------------------ the table

export const FAULT_CASES: readonly FaultCase[] = [
  {
    id: "vault-down-at-start",
    fault: "Vault down at start (every connection dropped for 2 min)",
    expected: "not ready, endpoint 503 meanwhile; ready within the login backoff after Vault's return (1 s doubling: ≤ the 2 min it was down)",
    // Slower clock: the process start (real ms) must fit well inside the simulated outage.
    scale: 60,
    startsUnready: true,
    before: (ctx) => {
      ctx.stage.vault.controls.addFault({ path: "*", forSeconds: 120, action: { type: "drop" } });
      ctx.markUnreachable();
    },
    async run(ctx) {
      const t0 = ctx.now();
      await ctx.until(() => ctx.status()?.endpoint !== undefined, MIN, "status.json naming the endpoint");
      const early = ctx.status();
      const servedEarly = await ctx.serve("etl");
      const back = t0 + 2 * MIN;
      const ready = await ctx.until(() => ctx.status()?.ready === true, 15 * MIN, "readiness");
      ctx.markReachable();
      const logins = ctx.agentRequests("auth/kubernetes/login").length;
      return {
        recoveryMs: Math.max(0, ready - back),
        checks: [
          check("not ready while down", early?.ready === false, `status.ready=${String(early?.ready)}`),
          check("endpoint 503 before the first fetch", servedEarly.status === 503, `got ${servedEarly.status}`),
          check("ready within the 2 min backoff (+30 s) after Vault is back", ready - back <= 2.5 * MIN, `${((ready - back) / 1000).toFixed(0)} s`),
          check("login retried with backoff, not hammered", logins >= 3 && logins <= 12, `${logins} logins`),
        ],
      };
    },
  },
  {
    id: "vault-down-mid-run",
    fault: "Vault down mid-run: 10 min of dropped connections starting 1 min before a planned STS refresh",
    expected: "old credential served (still valid) and files untouched during; refreshed ≤ 4 min after Vault is back (¼ of the remaining validity)",
    async run(ctx) {
      await ctx.refreshDue("etl");
      const before = await ctx.serve("etl");
      ctx.stage.vault.controls.addFault({ path: "*", forSeconds: 600, action: { type: "drop" } });
      ctx.markUnreachable();
      const start = ctx.now();
      await ctx.sleep(9 * MIN);
      const during = await ctx.serve("etl");
      await ctx.until(() => ctx.now() >= start + 10 * MIN, 2 * MIN, "the outage's end");
      ctx.markReachable();
      const back = ctx.now();
      const refreshed = await ctx.nextVersion("etl", 15 * MIN);
      return {
        recoveryMs: refreshed - back,
        checks: [
          check("same credential served during the outage", during.status === 200 && during.key === before.key, `status ${during.status}`),
          check("refreshed within 4 min after", refreshed - back <= RECOVERY_MS, `${((refreshed - back) / 1000).toFixed(0)} s`),
        ],
      };
    },
  },
  {
    id: "403-on-renew",
    fault: "403 permission denied on every token and lease renewal",
    expected: "token treated as non-renewable: new login inside its grace; iam_user lease replaced before its end; served credentials stay valid",
    async run(ctx) {
      const denied = { type: "error", status: 403, body: { errors: ["permission denied"] } } as const;
      ctx.stage.vault.controls.addFault({ path: "auth/token/renew-self", action: denied });
      ctx.stage.vault.controls.addFault({ path: "sys/leases/renew", action: denied });
      const appKey = (await ctx.serve("app")).key;
      const firstLogin = ctx.agentRequests("auth/kubernetes/login")[0]!.time;
      const relogin = await ctx.until(() => ctx.agentRequests("auth/kubernetes/login").filter((r) => r.status === 200).length >= 2, 70 * MIN, "a second login");
      await ctx.until(async () => (await ctx.serve("app")).key !== appKey, 70 * MIN, "the iam_user credential to be replaced");
      const renewals = ctx.agentRequests("renew").length;
      return {
        checks: [
          check("re-login inside the token's grace (before its 1 h end)", relogin - firstLogin < HOUR, `at ${((relogin - firstLogin) / MIN).toFixed(0)} min`),
          check("a denied renewal is not retried in a loop", renewals <= 6, `${renewals} renew requests`),
        ],
      };
    },
  },
  {
    id: "lease-revoked-outside",
    fault: "the iam_user lease revoked by an operator (IAM user deleted)",
    expected: "detected at the next renewal (lease not found), new credential fetched and served at once",
    async run(ctx) {
      const before = await ctx.serve("app");
      const lease = ctx.stage.vault.controls.leases().find((l) => l.kind === "secret" && l.path.startsWith("aws/creds/app"));
      ctx.stage.vault.controls.revokeLease(lease!.leaseId);
      const revokedAt = ctx.now();
      const replaced = await ctx.until(async () => (await ctx.serve("app")).key !== before.key, 60 * MIN, "a new iam_user credential");
      const renewFailed = ctx.agentRequests("sys/leases/renew").some((r) => r.status === 400);
      return {
        recoveryMs: replaced - revokedAt,
        checks: [
          check("revocation detected at the next renewal (≤ 50 min)", replaced - revokedAt <= 50 * MIN, `${((replaced - revokedAt) / MIN).toFixed(1)} min`),
          check("the renewal saw the lease gone", renewFailed, "renew → 400 lease not found"),
        ],
      };
    },
  },
  {
    id: "token-max-ttl",
    fault: "Vault token max TTL 1h30m (renewals capped)",
    expected: "re-login inside the grace before the cap; credentials minted under the old token replaced before it ends; served credentials valid throughout",
    stage: { tokenMaxTtl: "1h30m" },
    async run(ctx) {
      const start = ctx.now();
      // The kubelet refreshes the projected token at 80 % of its life; the re-login needs a valid one.
      const kubelet = setInterval(() => void ctx.stage.rotateJwt(), 48 * MIN / ctx.clock.scale);
      const relogin = await ctx
        .until(() => ctx.agentRequests("auth/kubernetes/login").filter((r) => r.status === 200).length >= 2, 100 * MIN, "a second login")
        .finally(() => clearInterval(kubelet));
      const kubelet2 = setInterval(() => void ctx.stage.rotateJwt(), 48 * MIN / ctx.clock.scale);
      await ctx.sleep(20 * MIN).finally(() => clearInterval(kubelet2));
      const expired = ctx.stage.vault.controls.tokens({ includeRevoked: true }).filter((t) => t.revokeReason !== null && /expir/i.test(t.revokeReason)).length;
      return {
        checks: [
          check("re-login before the 1h30m cap", relogin - start < 90 * MIN, `at ${((relogin - start) / MIN).toFixed(0)} min`),
          check("no token expired in use", expired === 0, `${expired} expired`),
        ],
      };
    },
  },
  {
    id: "sa-token-rotated",
    fault: "SA token rotated (kubelet ..data swap) and the old one expired; then the Vault token is revoked",
    expected: "the agent learns of the revocation at its next Vault call (the token renewal, ≤ 45 min); its login then reads the rotated JWT and succeeds",
    async run(ctx) {
      await ctx.stage.rotateJwt(600);
      await ctx.sleep(11 * MIN); // the first (1 h) JWT is still valid; the rotated one (10 min) now expired
      await ctx.stage.rotateJwt(3600);
      const logins = ctx.agentRequests("auth/kubernetes/login").length;
      const token = ctx.stage.vault.controls.tokens().find((t) => t.path.startsWith("auth/kubernetes/login"));
      ctx.stage.vault.controls.revokeToken({ accessor: token!.accessor });
      const t0 = ctx.now();
      const ok = await ctx.until(() => ctx.agentRequests("auth/kubernetes/login").slice(logins).some((r) => r.status === 200), 60 * MIN, "a login with the rotated JWT");
      return {
        recoveryMs: ok - t0,
        checks: [
          check("login with the rotated JWT succeeded", true, `${((ok - t0) / MIN).toFixed(1)} min after the revocation`),
          check("no failed login (the expired JWT was not used)", ctx.agentRequests("auth/kubernetes/login").every((r) => r.status === 200)),
        ],
      };
    },
  },
  {
    id: "503-sealed",
    fault: "Vault sealed (503 Vault is sealed) for 5 min around a planned STS refresh",
    expected: "old credential served; retried with backoff; refreshed ≤ 4 min after unseal (¼ of the remaining validity)",
    async run(ctx) {
      await ctx.refreshDue("etl");
      ctx.stage.vault.controls.seal();
      ctx.markUnreachable();
      await ctx.sleep(5 * MIN);
      ctx.stage.vault.controls.unseal();
      ctx.markReachable();
      const back = ctx.now();
      const refreshed = await ctx.nextVersion("etl", 15 * MIN);
      const sealed = ctx.agentRequests("aws/sts/etl").filter((r) => r.status === 503).length;
      return {
        recoveryMs: refreshed - back,
        checks: [check("503s seen and retried", sealed >= 1, `${sealed} × 503`), check("refreshed within 4 min after unseal", refreshed - back <= RECOVERY_MS, `${((refreshed - back) / 1000).toFixed(0)} s`)],
      };
    },
  },
  {
    id: "429-retry-after",
    fault: "429 rate limit quota exceeded with Retry-After: 30 on the next 3 STS reads",
    expected: "each retry waits ≥ 30 s; refreshed after the quota clears",
    async run(ctx) {
      await ctx.refreshDue("etl");
      ctx.stage.vault.controls.addFault({ path: "aws/sts/etl", count: 3, action: { type: "rate-limit", retryAfterSeconds: 30 } });
      await ctx.nextVersion("etl", 20 * MIN);
      const reads = ctx.agentRequests("aws/sts/etl").slice(1);
      const gaps = reads.slice(1).map((r, i) => r.time - reads[i]!.time);
      return {
        checks: [
          check("three 429s, then success", reads.filter((r) => r.status === 429).length === 3 && reads.at(-1)?.status === 200, reads.map((r) => r.status).join(",")),
          check("every retry ≥ 30 s after a 429", gaps.every((g) => g >= 30_000), gaps.map((g) => `${(g / 1000).toFixed(0)}s`).join(",")),
        ],
      };
    },
  },
  {
    id: "412",
    fault: "412 (index state not yet present on a performance standby) on the first 2 STS reads at start",
    expected: "retried at once by the transport (provably unprocessed), ready without a lifecycle backoff",
    // Real time: at a scaled clock every real millisecond of a round trip would count `scale` times.
    scale: 1,
    startsUnready: true,
    before: (ctx) => {
      ctx.stage.vault.controls.addFault({ path: "aws/sts/etl", count: 2, action: { type: "error", status: 412, body: { errors: ["required index state not present"] } } });
    },
    async run(ctx) {
      const ready = await ctx.until(() => ctx.status()?.ready === true, 10 * MIN, "readiness");
      const reads = ctx.agentRequests("aws/sts/etl");
      const span = reads.at(-1)!.time - reads[0]!.time;
      return {
        recoveryMs: span,
        checks: [
          check("412, 412, 200", reads.map((r) => r.status).join(",") === "412,412,200", reads.map((r) => r.status).join(",")),
          check("ready", ready > 0),
          check("retries within the transport's linear jitter (≤ 5 s)", span <= 5_000, `${(span / 1000).toFixed(1)} s`),
        ],
      };
    },
  },
  {
    id: "slow-vault",
    fault: "slow Vault: the first 2 logins answered after 1.5 s with vault.timeout 1s (real time, scale 1)",
    expected: "each attempt abandoned at the timeout (a login may have minted: not blindly repeated), retried after the backoff; ready once Vault is fast",
    scale: 1,
    settings: { vault: { timeout: "1s" } },
    startsUnready: true,
    before: (ctx) => {
      ctx.stage.vault.controls.addFault({ path: "auth/kubernetes/login", count: 2, action: { type: "latency", ms: 1500 } });
    },
    async run(ctx) {
      const t0 = ctx.now();
      const ready = await ctx.until(() => ctx.status()?.ready === true, 20_000, "readiness");
      const timedOut = ctx.log.filter((l) => /timed out/.test(l)).length;
      return {
        recoveryMs: ready - t0,
        checks: [
          check("two attempts timed out", timedOut >= 2, `${timedOut} "timed out" log lines`),
          check("three logins in all (no blind repeat)", ctx.agentRequests("auth/kubernetes/login").length === 3, `${ctx.agentRequests("auth/kubernetes/login").length}`),
          check("ready within 10 s", ready - t0 <= 10_000, `${((ready - t0) / 1000).toFixed(1)} s`),
        ],
      };
    },
  },
  {
    id: "tokenreview-outage-at-login",
    fault: "TokenReview unreachable at login (Vault answers 403 permission denied) for 2 min",
    expected: "403 at login retried with backoff (not fatal); ready within the login backoff once TokenReview is back (≤ the 2 min it was down)",
    // Slower clock: the process start (real ms) must fit well inside the simulated outage.
    scale: 60,
    startsUnready: true,
    async before(ctx) {
      await ctx.stage.api("POST", "auth/kubernetes/config", { kubernetes_host: "https://127.0.0.1:1", kubernetes_ca_cert: ctx.stage.k8s.tokenReview.caPem, token_reviewer_jwt: ctx.stage.k8s.reviewerJwt });
      ctx.markUnreachable();
    },
    async run(ctx) {
      await ctx.sleep(2 * MIN);
      await ctx.stage.api("POST", "auth/kubernetes/config", { kubernetes_host: ctx.stage.k8s.tokenReview.url, kubernetes_ca_cert: ctx.stage.k8s.tokenReview.caPem, token_reviewer_jwt: ctx.stage.k8s.reviewerJwt });
      ctx.markReachable();
      const back = ctx.now();
      const ready = await ctx.until(() => ctx.status()?.ready === true, 10 * MIN, "readiness");
      const denied = ctx.agentRequests("auth/kubernetes/login").filter((r) => r.status === 403).length;
      return {
        recoveryMs: ready - back,
        checks: [check("403 logins retried", denied >= 2, `${denied} × 403`), check("ready within the 2 min backoff (+30 s) after", ready - back <= 2.5 * MIN, `${((ready - back) / 1000).toFixed(0)} s`), check("still running", ctx.agent.exitCode === null)],
      };
    },
  },
  {
    id: "unwritable-output",
    fault: "output directory read-only for the agent (0555) across a planned STS refresh",
    expected: "new credential served from memory by the endpoint; old files stay (valid, intact); files rewritten once writable (≤ 4 min)",
    async run(ctx) {
      await ctx.refreshDue("etl");
      const fileBefore = readFileSync(join(ctx.outputDir, "etl.json"), "utf8");
      chmodSync(ctx.outputDir, 0o555);
      const before = await ctx.serve("etl");
      await ctx.until(async () => (await ctx.serve("etl")).key !== before.key, 10 * MIN, "the endpoint to serve the new credential");
      const fileDuring = readFileSync(join(ctx.outputDir, "etl.json"), "utf8");
      chmodSync(ctx.outputDir, 0o755);
      const back = ctx.now();
      const rewritten = await ctx.until(() => readFileSync(join(ctx.outputDir, "etl.json"), "utf8") !== fileBefore, 10 * MIN, "the file to be rewritten");
      return {
        recoveryMs: rewritten - back,
        checks: [
          check("old file untouched while unwritable", fileDuring === fileBefore),
          check("file rewritten within 4 min after", rewritten - back <= RECOVERY_MS, `${((rewritten - back) / 1000).toFixed(0)} s`),
          check("write failures reported", ctx.log.some((l) => /writ/i.test(l) && /EACCES|permission/i.test(l))),
        ],
      };
    },
  },
  {
    id: "sigterm-mid-renew",
    fault: "SIGTERM while a token renewal hangs in Vault",
    expected: "exit 0 at once (the hanging renewal abandoned); every secret lease revoked within the grace; files left in place",
    // The grace is simulated time: 3000 s at 600× gives the revocations the 5 real seconds of the default.
    settings: { agent: { shutdownGrace: "3000s" } },
    async run(ctx) {
      ctx.stage.vault.controls.addFault({ path: "auth/token/renew-self", action: { type: "hang" } });
      await ctx.until(() => ctx.agentRequests("auth/token/renew-self").some((r) => r.status === "hung"), 60 * MIN, "a hanging renewal");
      const t0 = performance.now();
      const code = await ctx.stop("SIGTERM");
      const ms = performance.now() - t0;
      const left = ctx.stage.vault.controls.leases().filter((l) => l.kind === "secret").length;
      let intact = true;
      try {
        JSON.parse(readFileSync(join(ctx.outputDir, "etl.json"), "utf8"));
      } catch {
        intact = false;
      }
      return {
        exitCode: code,
        checks: [
          check("exit 0", code === 0, `exit ${code}`),
          // The 5 s grace is simulated time here (8 ms at 600×); what is checked is a prompt exit.
          check("exits promptly although the renewal never answers (≤ 2 s real)", ms < 2_000, `${ms.toFixed(0)} ms real`),
          check("secret leases revoked", left === 0, `${left} left`),
          check("files left in place", intact),
        ],
      };
    },
  },
  {
    id: "endpoint-auth",
    fault: "endpoint called with no token, a wrong token, an unknown name",
    expected: "401, 403, 404 (JSON errors); 200 with the right token",
    async run(ctx) {
      const none = await ctx.serve("etl", null);
      const wrong = await ctx.serve("etl", "not-the-token");
      const unknown = await ctx.serve("nope");
      const right = await ctx.serve("etl");
      return {
        checks: [check("no token → 401", none.status === 401, `${none.status}`), check("wrong token → 403", wrong.status === 403, `${wrong.status}`), check("unknown name → 404", unknown.status === 404, `${unknown.status}`), check("right token → 200", right.status === 200, `${right.status}`)],
      };
    },
  },
];

// ------------------------------------------------------------------------------------------ runner

export interface RunOptions {
  /** Default clock speed (cases may override). */
  readonly scale: number;
}

export interface CaseReport extends CaseResult {
  readonly id: string;
  readonly fault: string;
  readonly expected: string;
  readonly passed: boolean;
  readonly violations: string[];
  readonly realMs: number;
  readonly error?: string;
}

const CREDENTIALS = ["etl", "app"] as const;

/** Runs one case on a fresh stage and agent; never throws (a failure is a failed report). */
export async function runFaultCase(c: FaultCase, options: RunOptions): Promise<CaseReport> {
  const t0 = performance.now();
  const stage = await startVaultStage({ scale: 0, tokenTtl: "1h", tokenMaxTtl: "24h", stsTtl: "1h", iamLease: "1h", iamLeaseMax: "12h", ...c.stage });
  const clock = stage.vault.clock;
  const outputDir = stage.outputDir;
  mkdirSync(outputDir);
  // As injected: the agent's own (non-root) user, so file permissions apply as in the pod.
  const asAgentUser = process.getuid?.() === 0;
  if (asAgentUser) {
    chmodSync(stage.dir, 0o755);
    chmodSync(join(stage.dir, "sa"), 0o755);
    chownSync(outputDir, AGENT_UID, AGENT_UID);
  }
  const spec = injectedAgent({
    vaultAddress: stage.vault.address,
    profiles: {
      etl: { path: "aws/sts/etl", format: "aws", endpoint: "http://minio.minio.svc:9000", region: "us-east-1", airflowConnId: "minio_default", ttl: "1h" },
      app: { path: "aws/creds/app", format: "aws", region: "us-east-1" },
    },
    credentials: CREDENTIALS,
    outputDir,
    tokenFile: stage.tokenFile,
    vault: { ...c.settings?.vault },
    agent: { logLevel: "info", ...c.settings?.agent },
  });
  const log: string[] = [];
  const violations: string[] = [];
  let agent: ChildProcess | undefined;
  let watching = true;
  let reachable = true;
  let recoveringUntil = -Infinity;
  let endpointToken: string | undefined;
  const readStatus = (): Status | undefined => {
    try {
      return JSON.parse(readFileSync(join(outputDir, "status.json"), "utf8")) as Status;
    } catch {
      return undefined;
    }
  };
  const serve = async (name: string, token?: string | null): Promise<{ status: number; expiration?: number; key?: string }> => {
    const s = readStatus();
    if (s?.endpoint === undefined) return { status: 0 };
    endpointToken ??= readFileSync(join(outputDir, "endpoint-token"), "utf8");
    const auth = token === undefined ? endpointToken : token;
    try {
      const res = await fetch(`${s.endpoint.url}${name}`, { headers: auth === null ? {} : { authorization: auth } });
      const body = (await res.json()) as { Expiration?: string; AccessKeyId?: string };
      return res.status === 200 ? { status: 200, expiration: Date.parse(body.Expiration!), key: body.AccessKeyId! } : { status: res.status };
    } catch {
      return { status: 0 };
    }
  };
  const scale = c.scale ?? options.scale;
  const realMs = (simMs: number): number => simMs / scale;
  const ctxBase = {
    stage,
    clock,
    log,
    outputDir,
    now: () => clock.now(),
    sleep: (simMs: number) => new Promise<void>((r) => setTimeout(r, realMs(simMs))),
    status: readStatus,
    serve,
    markUnreachable: () => {
      reachable = false;
    },
    markReachable: () => {
      reachable = true;
      recoveringUntil = clock.now() + RECOVERY_MS;
    },
    agentRequests: (path?: string) => requestsOf(stage, path),
  };
  const until = async (probe: () => boolean | Promise<boolean>, simTimeoutMs: number, what: string): Promise<number> => {
    const deadline = clock.now() + simTimeoutMs;
    for (;;) {
      if (await probe()) return clock.now();
      if (agent !== undefined && agent.exitCode !== null && what !== "exit") throw new Error(`agent exited ${agent.exitCode} while waiting for ${what}`);
      if (clock.now() > deadline) throw new Error(`no ${what} within ${(simTimeoutMs / MIN).toFixed(1)} simulated min`);
      await new Promise((r) => setTimeout(r, Math.max(2, Math.min(25, realMs(2_000)))));
    }
  };
  const versionOf = (name: string): number | null => readStatus()?.credentials[name]?.version ?? null;

  try {
    clock.setScale(scale);
    const ctxPartial = { ...ctxBase, until };
    await c.before?.({ ...ctxPartial } as unknown as CaseContext);
    agent = spawnInjectedAgent(spec, { clock, collect: log, ...(asAgentUser ? { asUser: { uid: AGENT_UID, filesDir: join(stage.dir, "image") } } : {}) });
    const exited = new Promise<number | null>((r) => agent!.once("exit", (code, signal) => r(code ?? (signal === null ? null : 128))));
    const ctx: CaseContext = {
      ...ctxPartial,
      agent,
      nextVersion: async (name, simTimeoutMs) => {
        const v = versionOf(name);
        return until(() => versionOf(name) !== v, simTimeoutMs, `a new version of ${name}`);
      },
      refreshDue: async (name, leadMs = MIN) => {
        await until(() => {
          const next = readStatus()?.credentials[name]?.nextRefreshAt;
          return next !== null && next !== undefined && Date.parse(next) - clock.now() <= leadMs;
        }, 2 * HOUR, `${name}'s planned refresh`);
      },
      stop: async (signal = "SIGTERM") => {
        if (agent!.exitCode === null) agent!.kill(signal);
        return exited;
      },
    };
    // The watcher: files always parse; the endpoint never serves an expired or (Vault reachable) stale credential.
    const watcher = (async () => {
      while (watching) {
        const s = readStatus();
        if (s?.ready === true) {
          for (const name of CREDENTIALS) {
            try {
              JSON.parse(readFileSync(join(outputDir, `${name}.json`), "utf8"));
            } catch (err) {
              violations.push(`${name}.json unreadable: ${(err as Error).message}`);
            }
            const a = await serve(name);
            if (a.status === 200 && a.expiration !== undefined) {
              const now = clock.now();
              const left = a.expiration - now;
              if (left <= 0) violations.push(`${name}: served an expired credential (${(left / 1000).toFixed(0)} s)`);
              else if (left < STALE_MS && reachable && now >= recoveringUntil) violations.push(`${name}: served ${(left / MIN).toFixed(1)} min ahead while Vault was reachable`);
            }
          }
        }
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    try {
      if (c.startsUnready !== true) await until(() => readStatus()?.ready === true, 10 * MIN, "readiness");
      const result = await c.run(ctx);
      watching = false;
      await watcher;
      const exitCode = result.exitCode !== undefined ? result.exitCode : await ctx.stop("SIGTERM");
      const checks = [...result.checks, ...(result.exitCode === undefined ? [check("SIGTERM at the end: exit 0", exitCode === 0, `exit ${exitCode}`)] : [])];
      const unique = [...new Set(violations)];
      return {
        id: c.id,
        fault: c.fault,
        expected: c.expected,
        ...result,
        exitCode,
        checks,
        violations: unique,
        passed: checks.every((k) => k.ok) && unique.length === 0,
        realMs: performance.now() - t0,
      };
    } finally {
      watching = false;
      await watcher;
    }
  } catch (err) {
    return { id: c.id, fault: c.fault, expected: c.expected, checks: [], violations: [...new Set(violations)], passed: false, realMs: performance.now() - t0, error: `${(err as Error).message}\n${log.slice(-8).join("\n")}` };
  } finally {
    if (agent !== undefined && agent.exitCode === null && agent.signalCode === null) {
      const gone = new Promise((r) => agent!.once("exit", r));
      agent.kill("SIGKILL");
      await gone;
    }
    try {
      chmodSync(outputDir, 0o755);
    } catch {
      // already gone
    }
    await stage.stop();
  }
}

/** The printed table (markdown). */
export function faultTable(reports: readonly CaseReport[]): string {
  const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
  const rows = reports.map((r) => {
    const outcome = r.error !== undefined ? `ERROR: ${r.error.split("\n")[0]}` : [...r.checks.map((k) => `${k.ok ? "✓" : "✗"} ${k.name}${k.detail === undefined ? "" : ` (${k.detail})`}`), ...r.violations.map((v) => `✗ ${v}`)].join("; ");
    const recovery = r.recoveryMs === undefined ? "—" : r.recoveryMs >= MIN ? `${(r.recoveryMs / MIN).toFixed(1)} min` : `${(r.recoveryMs / 1000).toFixed(1)} s`;
    return `| ${r.id} | ${cell(r.fault)} | ${cell(r.expected)} | ${cell(outcome)} | ${recovery} | ${r.exitCode ?? "—"} | ${r.passed ? "PASS" : "FAIL"} |`;
  });
  return ["| case | fault | expected | outcome | recovery (simulated) | exit | result |", "|---|---|---|---|---|---|---|", ...rows].join("\n");
}
