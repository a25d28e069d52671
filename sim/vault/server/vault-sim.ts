/**
 * `startVaultSim`: wires the core, engines, controls and listener into one running simulator.
 * Re-exported by `sim/vault/index.ts`; the CLI imports this module directly so the bundle for
 * `avi sim vault` does not carry the Kubernetes helpers.
 */
import { createAwsEngineFactory, type StsCalls } from "../engines/aws-engine.js";
import { createKubernetesAuthBackend } from "../auth/kubernetes/auth-kubernetes.js";
import { createCatalog } from "../core/catalog.js";
import { createSimClock, type SimClock, type SimClockOptions } from "../time/clock.js";
import { DEFAULT_COMPAT, type CompatOptions } from "./compat.js";
import { createControls, type VaultSimControls } from "./controls.js";
import { VaultCore, type HttpResult } from "../core/core.js";
import { parseDurationSecond } from "../time/duration.js";
import { FakeAwsCloud } from "../engines/fake-aws.js";
import { FaultInjector } from "./faults.js";
import { listen, type Listener } from "./http-listener.js";
import * as ids from "../core/identifiers.js";
import { createKvV1Backend } from "../engines/kv-v1.js";
import { createKvV2Backend } from "../engines/kv-v2.js";
import { parseListenAddress } from "./listen-address.js";
import { createMinioLegacyPlugin, createMinioPlugin, FakeMinio } from "../engines/minio-plugins.js";
import { createRequestHandler } from "./request-handler.js";
import type { RawRequest } from "./request.js";
import { RequestLog } from "./request-log.js";
import { createSysBackend } from "../sys/sys-backend.js";
import { createTokenBackend } from "../tokens/token-backend.js";

/** Default system TTLs, as Vault's: 768 h (32 days) for both default and max. */
export const SYSTEM_DEFAULT_TTL_SECONDS = 768 * 3600;

export interface VaultSimOptions {
  /** `host:port` on loopback; default `127.0.0.1:0` (an ephemeral port). */
  readonly listen?: string;
  /** Root token; default a random `hvs.` + 24 characters, like `vault server -dev`. */
  readonly rootToken?: string;
  /** Mount `secret/` as KV v2, as `vault server -dev` does (default true). */
  readonly devMode?: boolean;
  /** Behave like a Vault Agent/Proxy listener with `require_request_header = true` (412 without `X-Vault-Request: true`). */
  readonly requireRequestHeader?: boolean;
  /** A clock to share (e.g. with the TokenReview server), or options for a new one (`{ scale: 0 }` freezes time). */
  readonly clock?: SimClock | SimClockOptions;
  /** System default lease TTL (`"768h"` or seconds). */
  readonly defaultLeaseTtl?: string | number;
  /** System max lease TTL (`"768h"` or seconds). */
  readonly maxLeaseTtl?: string | number;
  /** Reported by `sys/health` (default `1.19.0`). */
  readonly version?: string;
  /** Settle `[?]` behaviours differently (see {@link CompatOptions}). */
  readonly compat?: Partial<CompatOptions>;
  /** Run the expiry sweep (default true). With false, expiry is enforced only lazily on access. */
  readonly sweep?: boolean;
  /** Entries kept in the request log (default 10 000). */
  readonly requestLogLimit?: number;
  /** Serve HTTPS with this certificate (PEM); default plain HTTP like `vault server -dev`. */
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
  /** Replace the real STS calls made when `sts_endpoint` is set (tests of error mapping). */
  readonly stsCalls?: StsCalls;
}

export interface InjectRequest {
  readonly method: string;
  /** `/v1/...` or `/sim/...`, with query. */
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Object → JSON body; string → as-is. */
  readonly body?: unknown;
  readonly remoteAddress?: string;
}

export interface InjectResponse {
  /** HTTP status; 0 when a fault dropped or hung the request. */
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** `dropped` / `hung` for injected connection faults. */
  readonly fault?: "dropped" | "hung";
  json(): unknown;
}

export interface VaultSim {
  /** Base URL, e.g. `http://127.0.0.1:41234` (use as `VAULT_ADDR`). */
  readonly address: string;
  readonly rootToken: string;
  /** Unseal key for `sys/unseal` after `sys/seal` (dev mode's single key share). */
  readonly unsealKey: string;
  /** The clock that drives every TTL. */
  readonly clock: SimClock;
  readonly controls: VaultSimControls;
  readonly requestLog: RequestLog;
  /** Answer a request in-process, without the network (same pipeline, same log). */
  inject(request: InjectRequest): Promise<InjectResponse>;
  /** Stop listening, drop open connections, cancel timers. */
  stop(): Promise<void>;
}

/** The /sim/ HTTP surface (and its zod schemas) loads on the first /sim/ request. */
function lazySimHttpControls(load: () => Promise<(raw: RawRequest) => Promise<HttpResult>>): (raw: RawRequest) => Promise<HttpResult> {
  let loaded: Promise<(raw: RawRequest) => Promise<HttpResult>> | undefined;
  return async (raw) => (await (loaded ??= load()))(raw);
}

function isSimClock(c: SimClock | SimClockOptions | undefined): c is SimClock {
  return c !== undefined && typeof (c as SimClock).now === "function";
}

/**
 * Start a simulator on loopback. Throws for a non-loopback `listen` address.
 *
 * @example
 * const vault = await startVaultSim({ clock: { scale: 0 } });
 * process.env.VAULT_ADDR = vault.address;
 * // … vault.controls.advance("1h"); await vault.stop();
 */
export async function startVaultSim(options: VaultSimOptions = {}): Promise<VaultSim> {
  const { host, port } = parseListenAddress(options.listen ?? "127.0.0.1:0");
  const ownClock = !isSimClock(options.clock);
  const clock = isSimClock(options.clock) ? options.clock : createSimClock(options.clock);
  const compat: CompatOptions = { ...DEFAULT_COMPAT, ...options.compat };
  const system = {
    defaultLeaseTtl: options.defaultLeaseTtl === undefined ? SYSTEM_DEFAULT_TTL_SECONDS : parseDurationSecond(options.defaultLeaseTtl),
    maxLeaseTtl: options.maxLeaseTtl === undefined ? SYSTEM_DEFAULT_TTL_SECONDS : parseDurationSecond(options.maxLeaseTtl),
  };
  if (system.defaultLeaseTtl > system.maxLeaseTtl) throw new Error(`defaultLeaseTtl (${system.defaultLeaseTtl}s) must not exceed maxLeaseTtl (${system.maxLeaseTtl}s)`);
  const fakeAws = new FakeAwsCloud(clock, () => compat.fakeStsMinDurationSeconds);
  const fakeMinio = new FakeMinio(clock);
  const catalog = createCatalog({
    secret: {
      kv: createKvV1Backend,
      "kv-v2": createKvV2Backend,
      aws: createAwsEngineFactory(fakeAws, options.stsCalls),
      minio: (ctx) => createMinioPlugin(ctx, fakeMinio, () => compat.minioTimeZone),
      "minio-legacy": (ctx) => createMinioLegacyPlugin(ctx, fakeMinio),
    },
    auth: { kubernetes: createKubernetesAuthBackend },
  });
  const rootToken = options.rootToken ?? ids.rootToken();
  const core = new VaultCore({
    clock,
    rootToken,
    compat,
    system,
    version: options.version ?? "1.19.0",
    requireRequestHeader: options.requireRequestHeader ?? false,
    sweep: options.sweep ?? true,
    catalog,
    builtins: (c) => ({ sys: createSysBackend(c), token: createTokenBackend(c) }),
  });
  if (options.devMode ?? true) core.enableMount({ kind: "secret", path: "secret", type: "kv-v2", description: "key/value secret storage" });

  const faults = new FaultInjector(clock);
  const requestLog = new RequestLog(options.requestLogLimit);
  const controls = createControls(core, clock, faults, fakeAws, fakeMinio);
  const handler = createRequestHandler({
    core,
    clock,
    faults,
    log: requestLog,
    compat,
    simControls: lazySimHttpControls(() => import("./sim-http-controls.js").then((m) => m.createSimHttpControls(controls, clock, requestLog, rootToken))),
  });
  let listener: Listener;
  try {
    listener = await listen({ host, port, tls: options.tls }, handler);
  } catch (err) {
    core.expiration.dispose();
    if (ownClock) clock.dispose();
    throw err;
  }

  return {
    address: listener.address,
    rootToken,
    unsealKey: core.unsealKey,
    clock,
    controls,
    requestLog,
    async inject(request) {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(request.headers ?? {})) headers[k.toLowerCase()] = v;
      const body = request.body === undefined ? Buffer.alloc(0) : Buffer.from(typeof request.body === "string" ? request.body : JSON.stringify(request.body));
      if (request.body !== undefined && typeof request.body !== "string" && headers["content-type"] === undefined) headers["content-type"] = "application/json";
      const outcome = await handler({ method: request.method.toUpperCase(), url: request.path, headers, body, remoteAddress: request.remoteAddress ?? "127.0.0.1" });
      const text = outcome.kind === "response" ? (outcome.body ?? "") : "";
      return {
        status: outcome.kind === "response" ? outcome.status : 0,
        headers: outcome.kind === "response" ? outcome.headers : {},
        body: text,
        fault: outcome.kind === "drop" ? "dropped" : outcome.kind === "hang" ? "hung" : undefined,
        json: () => JSON.parse(text) as unknown,
      };
    },
    async stop() {
      await listener.close();
      core.expiration.dispose();
      if (ownClock) clock.dispose();
    },
  };
}
