/**
 * The agent's narrow view of Vault (the eight calls it needs), implemented with node-vault over our
 * transport (vault-transport.ts). How node-vault's known defects (node-vault 0.12.0 `src/index.js`) are
 * avoided:
 * - shared mutable `client.token`: never set (env `VAULT_TOKEN` is cleared too); every call sends its
 *   own `X-Vault-Token`; login and renew-self go through `write()`, not the `tokenSource` commands
 *   that overwrite the shared token;
 * - no `X-Vault-Request`: sent on every request, with the audit headers;
 * - `VAULT_ADDR`/`VAULT_NAMESPACE`/`VAULT_PREFIX` from the environment: overridden by our config;
 * - no retries, no timeout, axios: our transport;
 * - only 200/204 count as success: `sys/leases/revoke` answers 202 when a caller sends `sync=false`
 *   (204 otherwise), accepted here;
 * - only `errors[0]` surfaced: we classify the whole body (vault-errors.ts);
 * - generated commands without a schema send all their arguments as the body (our headers included):
 *   revoke-self uses `write()` with an empty body;
 * - renewal helpers (fixed 0.8 fraction, stop on first error): not used, see lifecycle/lifetime.ts.
 */
import nodeVault from "node-vault";
import { isPlainVaultPath, type AgentConfig } from "./config.js";
import { VaultError, classifyResponse, classifyTransport, errorText } from "./vault-errors.js";
import {
  ResponseShapeError,
  parseAuth,
  parseHealth,
  parseLeaseRenewal,
  parseLookup,
  parseSecret,
  type LeaseRenewal,
  type TokenInfo,
  type VaultAuth,
  type VaultHealth,
  type VaultSecret,
} from "./vault-responses.js";
import { TransportError, createVaultTransport, type RequestTrace, type TransportConfig } from "./vault-transport.js";

export type { LeaseRenewal, TokenInfo, VaultAuth, VaultHealth, VaultSecret } from "./vault-responses.js";

export interface CallOptions {
  readonly signal?: AbortSignal | undefined;
}

export interface ReadOptions extends CallOptions {
  /** The read creates credentials (aws/creds, aws/sts, plugin keys): never blindly retried. */
  readonly minting?: boolean;
  /** Query parameters, e.g. `{ ttl: "3600s" }`. */
  readonly query?: Readonly<Record<string, string>>;
}

export interface VaultApi {
  login(jwt: string, options?: CallOptions): Promise<VaultAuth>;
  lookupSelf(token: string, options?: CallOptions): Promise<TokenInfo>;
  renewSelf(token: string, incrementS: number, options?: CallOptions): Promise<VaultAuth>;
  revokeSelf(token: string, options?: CallOptions): Promise<void>;
  /** A 404 that carries a body (KV v2 deleted version) rejects with `VaultError.body` set. */
  read(token: string, path: string, options?: ReadOptions): Promise<VaultSecret>;
  write(token: string, path: string, data: Readonly<Record<string, unknown>>, options?: ReadOptions): Promise<VaultSecret | undefined>;
  renewLease(token: string, leaseId: string, incrementS: number, options?: CallOptions): Promise<LeaseRenewal>;
  revokeLease(token: string, leaseId: string, options?: CallOptions): Promise<void>;
  /** Never rejects on a sealed/standby/uninitialised status: the body says which (Vault `http/sys_health.go`
   * answers with the body on every status). */
  health(options?: CallOptions): Promise<VaultHealth>;
}

export interface VaultClientOptions {
  readonly vault: AgentConfig["vault"];
  /** Audit headers sent with every request (audit-context.ts). */
  readonly headers: Readonly<Record<string, string>>;
  readonly userAgent: string;
  /** Test seams and metrics hooks of the transport. */
  readonly transport?: Partial<Pick<TransportConfig, "sleep" | "random" | "now" | "onAttempt" | "maxWaitMs">>;
}

interface NodeVaultError {
  readonly message?: string;
  readonly response?: { readonly statusCode: number; readonly body: unknown };
}

export function createVaultClient(options: VaultClientOptions): VaultApi {
  const { vault } = options;
  const transport = createVaultTransport({
    caCert: vault.caCert,
    tlsServerName: vault.tlsServerName,
    timeoutMs: vault.timeout * 1000,
    maxRetries: vault.maxRetries,
    userAgent: options.userAgent,
    ...options.transport,
  });
  const client = nodeVault({ endpoint: vault.address, apiVersion: "v1", "request-promise": transport });
  // node-vault falls back to VAULT_TOKEN / VAULT_NAMESPACE / VAULT_PREFIX from the environment.
  client.token = "";
  (client as unknown as { namespace: string; pathPrefix: string }).namespace = vault.namespace ?? "";
  (client as unknown as { pathPrefix: string }).pathPrefix = "";

  const baseHeaders = { ...options.headers, "X-Vault-Request": "true" };

  /** Runs one node-vault call with per-request headers and a trace; maps failures to VaultError. */
  async function call<T>(operation: string, token: string | undefined, minting: boolean, signal: AbortSignal | undefined, run: (requestOptions: object) => Promise<unknown>, parse: (body: unknown) => T, accept202 = false): Promise<T> {
    const trace: RequestTrace = { minting, signal, attempts: 0 };
    const headers = token === undefined ? baseHeaders : { ...baseHeaders, "X-Vault-Token": token };
    let body: unknown;
    try {
      body = await run({ headers, avi: trace });
    } catch (err) {
      const e = err as NodeVaultError;
      if (e.response !== undefined) {
        if (accept202 && e.response.statusCode === 202) return parse(undefined);
        throw responseError(operation, e.response.statusCode, e.response.body, trace.retryAfterMs);
      }
      if (err instanceof TransportError) throw new VaultError(classifyTransport(err.code), operation, `${err.message}${err.code !== undefined && !err.message.includes(err.code) ? ` (${err.code})` : ""}`);
      throw new VaultError("invalid-response", operation, e.message ?? String(err));
    }
    try {
      return parse(body);
    } catch (err) {
      if (err instanceof ResponseShapeError) throw new VaultError("invalid-response", operation, err.message);
      throw err;
    }
  }

  const loginPath = `auth/${vault.authMount}/login`;

  return {
    login: (jwt, o) =>
      call(`login ${loginPath}`, undefined, true, o?.signal, (ro) => client.write(loginPath, { role: vault.role, jwt }, ro), parseAuth),
    lookupSelf: (token, o) =>
      call("lookup-self", token, false, o?.signal, (ro) => client.tokenLookupSelf({ requestOptions: ro }), parseLookup),
    renewSelf: (token, incrementS, o) =>
      call("renew-self", token, false, o?.signal, (ro) => client.write("auth/token/renew-self", incrementS > 0 ? { increment: Math.round(incrementS) } : {}, ro), parseAuth),
    revokeSelf: (token, o) =>
      call("revoke-self", token, false, o?.signal, (ro) => client.write("auth/token/revoke-self", {}, ro), () => undefined),
    read: async (token, path, o) =>
      call(`read ${checkedPath(path)}`, token, o?.minting ?? false, o?.signal, (ro) => client.read(withQuery(path, o?.query), ro), parseSecret),
    write: async (token, path, data, o) =>
      call(`write ${checkedPath(path)}`, token, o?.minting ?? false, o?.signal, (ro) => client.write(path, data, ro), (body) => (body === undefined || body === "" ? undefined : parseSecret(body))),
    renewLease: (token, leaseId, incrementS, o) =>
      call("renew lease", token, false, o?.signal, (ro) => client.renew({ lease_id: leaseId, ...(incrementS > 0 ? { increment: Math.round(incrementS) } : {}), requestOptions: ro }), parseLeaseRenewal),
    revokeLease: (token, leaseId, o) =>
      call("revoke lease", token, false, o?.signal, (ro) => client.revoke({ lease_id: leaseId, requestOptions: ro }), () => undefined, true),
    health: (o) =>
      call("sys/health", undefined, false, o?.signal, (ro) => client.health({ standbyok: true, requestOptions: ro }), parseHealth),
  };
}

/**
 * The agent sends its token only to `/v1/<mount>/…` of the configured path: a path that URL parsing
 * would decode or normalise elsewhere (`aws/%2e%2e/sys/health`, backslashes) is refused before any
 * request. The config schema refuses such paths too; this guards every other caller.
 */
function checkedPath(path: string): string {
  const mount = path.split("/", 1)[0] ?? "";
  const resolved = isPlainVaultPath(path) ? new URL(`v1/${path}`, "http://vault.invalid/").pathname : "";
  if (!resolved.startsWith(`/v1/${mount}/`)) {
    throw new VaultError("bad-request", `read ${JSON.stringify(path.slice(0, 200))}`, `refusing a Vault path that is not plain segments under /v1/${mount.slice(0, 64)}/`);
  }
  return path;
}

function withQuery(path: string, query: Readonly<Record<string, string>> | undefined): string {
  if (query === undefined || Object.keys(query).length === 0) return path;
  return `${path}?${new URLSearchParams(query).toString()}`;
}

function responseError(operation: string, status: number, body: unknown, retryAfterMs: number | undefined): VaultError {
  const text = errorText(body);
  const kind = classifyResponse(status, text);
  const message = text === "" ? `HTTP ${status}` : `${text} (HTTP ${status})`;
  const keepBody = status === 404 && typeof body === "object" && body !== null && "data" in body;
  return new VaultError(kind, operation, message, status, retryAfterMs, keepBody ? body : undefined);
}
