/**
 * What Vault's HTTP layer decides before (and after) the logical router, by route: the `sys/`
 * endpoints served by their own handlers with their own method rules, and the routes whose response
 * `data` is also copied to the top level of the body. Source: hashicorp/vault `http/handler.go`
 * (`handler()`'s `mux.Handle` table and `injectDataIntoTopRoutes`), `http/sys_health.go`,
 * `http/sys_seal.go`, `http/sys_leader.go`, `http/sys_init.go`; Go's `http.ServeMux` matching (a
 * pattern ending in `/` matches the subtree, any other pattern only that exact path).
 */

/**
 * Methods each non-logical `sys/` handler serves; any other method gets 405 with `{"errors":[]}`
 * (`respondError(w, http.StatusMethodNotAllowed, nil)`), before any token or seal check.
 */
const NON_LOGICAL_METHODS: ReadonlyMap<string, ReadonlySet<string>> = new Map([
  ["/v1/sys/health", new Set(["GET", "HEAD"])], // handleSysHealth: GET, HEAD
  ["/v1/sys/seal-status", new Set(["GET"])], // handleSysSealStatus: r.Method != "GET" → 405
  ["/v1/sys/leader", new Set(["GET"])], // handleSysLeader: GET only
  ["/v1/sys/init", new Set(["GET", "PUT", "POST"])], // handleSysInit: GET; PUT, POST
  ["/v1/sys/seal", new Set(["PUT", "POST"])], // handleSysSeal: only logical.UpdateOperation
  ["/v1/sys/unseal", new Set(["PUT", "POST"])], // handleSysUnseal: PUT, POST
]);

/** `injectDataIntoTopRoutes`: each is registered with `handleLogicalWithInjector`. */
const INJECT_DATA_INTO_TOP_ROUTES: readonly string[] = [
  "/v1/sys/audit",
  "/v1/sys/audit/",
  "/v1/sys/audit-hash/",
  "/v1/sys/auth",
  "/v1/sys/auth/",
  "/v1/sys/config/cors",
  "/v1/sys/config/auditing/request-headers/",
  "/v1/sys/config/auditing/request-headers",
  "/v1/sys/capabilities",
  "/v1/sys/capabilities-accessor",
  "/v1/sys/capabilities-self",
  "/v1/sys/ha-status",
  "/v1/sys/key-status",
  "/v1/sys/mounts",
  "/v1/sys/mounts/",
  "/v1/sys/policy",
  "/v1/sys/policy/",
  "/v1/sys/rekey/backup",
  "/v1/sys/rekey/recovery-key-backup",
  "/v1/sys/remount",
  "/v1/sys/rotate",
  "/v1/sys/wrapping/wrap",
];

/** The URL's path as the mux sees it (no query). */
function muxPath(url: string): string {
  const q = url.search(/[?#]/);
  return q < 0 ? url : url.slice(0, q);
}

/** `http.ServeMux` pattern match: trailing `/` = subtree, else exact. */
function muxMatches(pattern: string, path: string): boolean {
  return pattern.endsWith("/") ? path.startsWith(pattern) : path === pattern;
}

/** False when the route has its own handler and that handler refuses `method` (→ 405, `{"errors":[]}`). */
export function nonLogicalMethodAllowed(method: string, url: string): boolean {
  const allowed = NON_LOGICAL_METHODS.get(muxPath(url));
  return allowed === undefined || allowed.has(method.toUpperCase());
}

/** True when Vault answers this route through `handleLogicalWithInjector`. */
export function injectsDataIntoTop(url: string): boolean {
  const path = muxPath(url);
  return INJECT_DATA_INTO_TOP_ROUTES.some((pattern) => muxMatches(pattern, path));
}

/**
 * `logical.HTTPSysInjector.MarshalJSON`: the `data` keys written first, then the envelope's own keys
 * (a JSON decoder keeps the last duplicate, so an envelope key wins over a data key of the same name).
 * Nothing is added when `data` is null or empty.
 */
export function injectDataIntoTop<T extends { data: Record<string, unknown> | null }>(body: T): T | Record<string, unknown> {
  if (body.data === null || Object.keys(body.data).length === 0) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body.data)) if (!Object.hasOwn(body, k)) out[k] = v;
  return { ...out, ...body };
}
