/**
 * The Kubernetes auth method (`vault-plugin-auth-kubernetes` v0.24.1: `path_config.go`,
 * `path_role.go`, `path_login.go`): `config`, `role/<name>`
 * and `login`, with the same order of checks and the same messages as the plugin — including the
 * TokenReview call to `kubernetes_host` on every login, whose failure for any reason is a 403.
 */
import type { KeyObject } from "node:crypto";
import type { AuthSpec, Backend, BackendContext, BackendRequest, BackendResponse, RenewedTtl } from "../../core/backend.js";
import { cidrAllows } from "../../tokens/cidr.js";
import { formatGoDuration } from "../../time/duration.js";
import { codedError, errorResponse, permissionDenied, unsupportedOperation, unsupportedPath } from "../../server/errors.js";
import { getBool, getCommaList, getString } from "../../core/fields.js";
import { kubeRequest, type KubeConnection } from "./kubernetes-api-client.js";
import type * as LabelSelectors from "./label-selector.js";
import { audienceList, parsePemKey, validateServiceAccountJwt } from "./kubernetes-jwt.js";
import { emptyTokenParams, parseTokenParams, tokenParamsData, tokenTypeOf, type TokenParams } from "../../tokens/token-params.js";

interface KubeConfig {
  host: string;
  caCert: string;
  tokenReviewerJwt: string;
  pemKeys: string[];
  publicKeys: KeyObject[];
  issuer: string;
  disableIssValidation: boolean;
  disableLocalCaJwt: boolean;
  useAnnotationsAsAliasMetadata: boolean;
}

interface KubeRole {
  names: string[];
  namespaces: string[];
  namespaceSelector: string;
  audience: string;
  aliasNameSource: string;
  token: TokenParams;
}

/** The service account a JWT names (projected claims win over legacy ones). */
interface ServiceAccountClaims {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly secretName: string;
  readonly audiences: readonly string[];
}

const ALIAS_SOURCES = ["serviceaccount_uid", "serviceaccount_name"];

// Namespace selectors are rare; their parser (yaml + zod) loads on first use to keep start-up lean.
const labelSelectors = (): Promise<typeof LabelSelectors> => import("./label-selector.js");
const TOKEN_REVIEW_TIMEOUT_MS = 30_000;

/** go-glob: `*` matches any run of characters, anywhere in the pattern. */
export function globMatch(pattern: string, value: string): boolean {
  if (pattern === "*") return true;
  const parts = pattern.split("*");
  if (parts.length === 1) return pattern === value;
  if (!value.startsWith(parts[0]!)) return false;
  let pos = parts[0]!.length;
  for (let i = 1; i < parts.length - 1; i++) {
    const idx = value.indexOf(parts[i]!, pos);
    if (idx < 0) return false;
    pos = idx + parts[i]!.length;
  }
  const last = parts[parts.length - 1]!;
  return value.length - last.length >= pos && value.endsWith(last);
}

function claimsOf(raw: Record<string, unknown>): ServiceAccountClaims {
  const str = (v: unknown): string => (typeof v === "string" ? v : "");
  const projected = raw["kubernetes.io"];
  const k = typeof projected === "object" && projected !== null ? (projected as Record<string, unknown>) : undefined;
  const sa = k !== undefined && typeof k.serviceaccount === "object" && k.serviceaccount !== null ? (k.serviceaccount as Record<string, unknown>) : undefined;
  return {
    name: sa !== undefined ? str(sa.name) : str(raw["kubernetes.io/serviceaccount/service-account.name"]),
    uid: sa !== undefined ? str(sa.uid) : str(raw["kubernetes.io/serviceaccount/service-account.uid"]),
    namespace: k !== undefined ? str(k.namespace) : str(raw["kubernetes.io/serviceaccount/namespace"]),
    secretName: str(raw["kubernetes.io/serviceaccount/secret.name"]),
    audiences: audienceList(raw),
  };
}

export function createKubernetesAuthBackend(ctx: BackendContext): Backend {
  let config: KubeConfig | undefined;
  const roles = new Map<string, KubeRole>();

  const connection = (c: KubeConfig): KubeConnection => ({ host: c.host, caPem: c.caCert, timeoutMs: TOKEN_REVIEW_TIMEOUT_MS });

  function writeConfig(req: BackendRequest): BackendResponse | null {
    const host = getString(req.data, "kubernetes_host");
    if (host === "") throw errorResponse("no host provided");
    const caCert = getString(req.data, "kubernetes_ca_cert");
    if (caCert !== "" && !/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/.test(caCert)) {
      throw errorResponse("The provided CA PEM data contains no valid certificates");
    }
    const pemKeys = getCommaListOfPem(req.data.pem_keys);
    const publicKeys: KeyObject[] = [];
    for (const pem of pemKeys) {
      try {
        publicKeys.push(parsePemKey(pem));
      } catch (err) {
        throw errorResponse((err as Error).message);
      }
    }
    config = {
      host,
      caCert,
      tokenReviewerJwt: getString(req.data, "token_reviewer_jwt"),
      pemKeys,
      publicKeys,
      issuer: getString(req.data, "issuer"),
      disableIssValidation: getBool(req.data, "disable_iss_validation", true),
      disableLocalCaJwt: getBool(req.data, "disable_local_ca_jwt"),
      useAnnotationsAsAliasMetadata: getBool(req.data, "use_annotations_as_alias_metadata"),
    };
    return null;
  }

  function readConfig(): BackendResponse | null {
    if (config === undefined) return null;
    // Quirk kept from the plugin: with validation on and no issuer, the default is shown but not enforced.
    const shownIssuer = !config.disableIssValidation && config.issuer === "" ? "kubernetes/serviceaccount" : config.issuer;
    return {
      data: {
        kubernetes_host: config.host,
        kubernetes_ca_cert: config.caCert,
        pem_keys: [...config.pemKeys],
        issuer: shownIssuer,
        disable_iss_validation: config.disableIssValidation,
        disable_local_ca_jwt: config.disableLocalCaJwt,
        token_reviewer_jwt_set: config.tokenReviewerJwt !== "",
        use_annotations_as_alias_metadata: config.useAnnotationsAsAliasMetadata,
      },
    };
  }

  async function writeRole(name: string, req: BackendRequest): Promise<BackendResponse | null> {
    const existing = roles.get(name.toLowerCase());
    if (existing === undefined && req.operation === "update") throw codedError(500, "role entry not found during update operation");
    const role: KubeRole = existing === undefined
      ? { names: [], namespaces: [], namespaceSelector: "", audience: "", aliasNameSource: "", token: emptyTokenParams() }
      : { ...existing, token: existing.token };
    role.token = parseTokenParams(req.data, role.token);
    const mountMax = ctx.mountTtls().maxLeaseTtl;
    if (role.token.period > mountMax) {
      throw errorResponse(
        `token period of '${JSON.stringify(formatGoDuration(role.token.period))}' is greater than the backend's maximum lease TTL of '${JSON.stringify(formatGoDuration(mountMax))}'`,
      );
    }
    if (role.token.maxTtl > 0 && role.token.ttl > role.token.maxTtl) throw errorResponse("token ttl should not be greater than token max ttl");
    const warnings: string[] = [];
    if (role.token.maxTtl > mountMax) {
      warnings.push("max_ttl is greater than the system or backend mount's maximum TTL value; issued tokens' max TTL value will be truncated");
    }
    const names = getCommaList(req.data, "bound_service_account_names");
    if (names !== undefined) role.names = names;
    if (role.names.length === 0) throw errorResponse(`${JSON.stringify("bound_service_account_names")} can not be empty`);
    if (role.names.length > 1 && role.names.includes("*")) throw errorResponse(`can not mix ${JSON.stringify("*")} with values`);
    const namespaces = getCommaList(req.data, "bound_service_account_namespaces");
    if (namespaces !== undefined) role.namespaces = namespaces;
    role.namespaceSelector = getString(req.data, "bound_service_account_namespace_selector");
    if (role.namespaces.length === 0 && role.namespaceSelector === "") {
      throw errorResponse(
        `${JSON.stringify("bound_service_account_namespaces")} can not be empty if ${JSON.stringify("bound_service_account_namespace_selector")} is not set`,
      );
    }
    if (role.namespaceSelector !== "") {
      try {
        (await labelSelectors()).parseLabelSelector(role.namespaceSelector);
      } catch {
        throw errorResponse(`invalid ${JSON.stringify("bound_service_account_namespace_selector")} configured`);
      }
    }
    if (role.namespaces.length > 1 && role.namespaces.includes("*")) throw errorResponse(`can not mix ${JSON.stringify("*")} with values`);
    if (req.data.audience !== undefined) role.audience = getString(req.data, "audience");
    if (role.audience.trim() === "") {
      warnings.push(
        `Role ${name} does not have an audience configured. While audiences are not required, consider specifying one if your use case would benefit from additional JWT claim verification.`,
      );
    }
    if (req.data.alias_name_source !== undefined) {
      const source = getString(req.data, "alias_name_source");
      role.aliasNameSource = source === "" && role.aliasNameSource === "" ? "serviceaccount_uid" : source;
    } else if (role.aliasNameSource === "") role.aliasNameSource = "serviceaccount_uid";
    if (!ALIAS_SOURCES.includes(role.aliasNameSource)) {
      throw errorResponse(`invalid alias_name_source ${JSON.stringify(role.aliasNameSource)}, must be one of [${ALIAS_SOURCES.map((s) => JSON.stringify(s)).join(" ")}]`);
    }
    roles.set(name.toLowerCase(), role);
    return warnings.length > 0 ? { warnings } : null;
  }

  function readRole(name: string): BackendResponse | null {
    const role = roles.get(name.toLowerCase());
    if (role === undefined) return null;
    const data: Record<string, unknown> = {
      bound_service_account_names: [...role.names],
      bound_service_account_namespaces: [...role.namespaces],
      bound_service_account_namespace_selector: role.namespaceSelector,
    };
    if (role.audience !== "") data.audience = role.audience;
    Object.assign(data, tokenParamsData(role.token));
    data.alias_name_source = role.aliasNameSource;
    return { data };
  }

  async function namespaceAllowed(c: KubeConfig, role: KubeRole, namespace: string, jwt: string): Promise<void> {
    if (role.namespaces.length > 0 && (role.namespaces[0] === "*" || role.namespaces.some((p) => globMatch(p, namespace)))) return;
    let detail = "";
    if (role.namespaceSelector !== "") {
      try {
        const { parseLabelSelector, selectorMatches } = await labelSelectors();
        const selector = parseLabelSelector(role.namespaceSelector);
        const res = await kubeRequest(connection(c), "GET", `/api/v1/namespaces/${encodeURIComponent(namespace)}`, c.tokenReviewerJwt || jwt);
        if (res.status !== 200) throw new Error(`failed to get namespace (code ${res.status}): ${res.body.trim()}`);
        const ns = JSON.parse(res.body) as { metadata?: { labels?: Record<string, string> } };
        if (selectorMatches(selector, ns.metadata?.labels ?? {})) return;
      } catch (err) {
        detail = ` err=${(err as Error).message}`;
      }
    }
    throw codedError(403, `namespace not authorized${detail}`);
  }

  /** TokenReview (vault-plugin-auth-kubernetes `token_review.go`), on every login. Any failure → the caller answers 403 permission denied. */
  async function tokenReview(c: KubeConfig, jwt: string, sa: ServiceAccountClaims, role: KubeRole): Promise<void> {
    const audiences = role.audience !== "" ? [role.audience] : [...sa.audiences];
    const body = {
      kind: "TokenReview",
      apiVersion: "authentication.k8s.io/v1",
      metadata: { creationTimestamp: null },
      spec: { token: jwt, ...(audiences.length > 0 ? { audiences } : {}) },
      status: { user: {} },
    };
    const res = await kubeRequest(connection(c), "POST", "/apis/authentication.k8s.io/v1/tokenreviews", c.tokenReviewerJwt || jwt, body);
    if (res.status === 401) throw new Error("lookup failed: service account unauthorized; this could mean it has been deleted or recreated with a new token");
    if (res.status < 200 || res.status > 206) throw new Error(`lookup failed: ${res.status}: ${res.body.trim()}`);
    const parsed = JSON.parse(res.body) as {
      kind?: string;
      status?: { authenticated?: boolean; error?: string; audiences?: string[]; user?: { username?: string; uid?: string } } | string;
    };
    if (parsed.kind === "Status" || typeof parsed.status !== "object") throw new Error("lookup failed: status response");
    const status = parsed.status;
    if (status.error !== undefined && status.error !== "") throw new Error(`lookup failed: ${status.error}`);
    if (status.authenticated !== true) throw new Error("lookup failed: service account jwt not valid");
    if (audiences.length > 0 && !audiences.some((a) => (status.audiences ?? []).includes(a))) {
      throw new Error("lookup failed: service account jwt valid for other audience(s)");
    }
    const parts = (status.user?.username ?? "").split(":");
    if (parts.length !== 4) throw new Error("lookup failed: unexpected username format");
    if (parts[0] !== "system" || parts[1] !== "serviceaccount") throw new Error("lookup failed: username returned is not a service account");
    if (sa.name !== parts[3]) throw new Error("JWT names did not match");
    if (sa.uid === "") throw new Error("could not parse UID from claims");
    if (sa.uid !== (status.user?.uid ?? "")) throw new Error("JWT UIDs did not match");
    if (sa.namespace !== parts[2]) throw new Error("JWT namepaces did not match");
  }

  async function login(req: BackendRequest): Promise<BackendResponse> {
    if (req.operation !== "update" && req.operation !== "create") throw unsupportedOperation();
    const roleName = getString(req.data, "role");
    if (roleName === "") throw errorResponse("missing role");
    const jwt = getString(req.data, "jwt");
    if (jwt === "") throw errorResponse("missing jwt");
    const role = roles.get(roleName.toLowerCase());
    if (role === undefined) throw errorResponse(`invalid role name ${JSON.stringify(roleName)}`);
    if (role.token.boundCidrs.length > 0 && !cidrAllows(role.token.boundCidrs, req.remoteAddress)) throw permissionDenied();
    if (config === undefined) throw codedError(500, "could not load backend configuration");
    const c = config;

    let raw: Record<string, unknown>;
    try {
      raw = await validateServiceAccountJwt(jwt, {
        now: ctx.clock.now(),
        publicKeys: c.publicKeys,
        issuer: c.disableIssValidation ? undefined : c.issuer,
        audience: role.audience,
      });
    } catch (err) {
      const message = (err as Error).message;
      if (message.includes("verifying token signature")) throw permissionDenied();
      throw codedError(403, message);
    }
    const sa = claimsOf(raw);
    if (role.names.length > 1 || role.names[0] !== "*") {
      if (!role.names.some((p) => globMatch(p, sa.name))) throw codedError(403, "service account name not authorized");
    }
    await namespaceAllowed(c, role, sa.namespace, jwt);

    let aliasName: string;
    if (role.aliasNameSource === "serviceaccount_name") {
      if (sa.namespace === "" || sa.name === "") throw codedError(500, "service account namespace and name must be set");
      aliasName = `${sa.namespace}/${sa.name}`;
    } else {
      if (sa.uid === "") throw codedError(500, "could not parse UID from claims");
      aliasName = sa.uid;
    }
    try {
      await tokenReview(c, jwt, sa, role);
    } catch {
      throw permissionDenied();
    }
    const metadata = {
      service_account_uid: sa.uid,
      service_account_name: sa.name,
      service_account_namespace: sa.namespace,
      service_account_secret_name: sa.secretName,
    };
    const auth: AuthSpec = {
      policies: role.token.policies,
      metadata: { ...metadata, role: roleName },
      displayName: `${sa.namespace}-${sa.name}`,
      ttl: role.token.ttl,
      maxTtl: role.token.maxTtl,
      period: role.token.period,
      explicitMaxTtl: role.token.explicitMaxTtl,
      numUses: role.token.numUses,
      boundCidrs: role.token.boundCidrs,
      tokenType: tokenTypeOf(role.token.type),
      noDefaultPolicy: role.token.noDefaultPolicy,
      renewable: true,
      internal: { role: roleName },
      alias: { name: aliasName, metadata },
    };
    return { auth };
  }

  return {
    type: "kubernetes",
    mountType: "kubernetes",
    isUnauthenticated: (path) => path === "login",
    exists(req) {
      const m = /^role\/([^/]+)$/.exec(req.path);
      if (m !== null) return roles.has(m[1]!.toLowerCase());
      return undefined;
    },
    async handle(req) {
      if (req.path === "login") return login(req);
      if (req.path === "config") {
        if (req.operation === "read") return readConfig();
        if (req.operation === "update" || req.operation === "create") return writeConfig(req);
        throw unsupportedOperation();
      }
      if (req.path === "role/" || req.path === "role") {
        if (req.operation !== "list") throw unsupportedOperation();
        return roles.size === 0 ? null : { data: { keys: [...roles.keys()].sort() } };
      }
      const m = /^role\/([^/]+)$/.exec(req.path);
      if (m !== null) {
        const name = m[1]!;
        if (req.operation === "read") return readRole(name);
        if (req.operation === "delete") {
          roles.delete(name.toLowerCase());
          return null;
        }
        if (req.operation === "update" || req.operation === "create") return writeRole(name, req);
        throw unsupportedOperation();
      }
      throw unsupportedPath();
    },
    renewAuth(token): Promise<RenewedTtl> {
      const roleName = typeof token.internal.role === "string" ? token.internal.role : "";
      if (roleName === "") return Promise.reject(new Error("failed to fetch role_name during renewal"));
      const role = roles.get(roleName.toLowerCase());
      if (role === undefined) return Promise.reject(new Error(`role ${roleName} does not exist during renewal`));
      return Promise.resolve({ ttl: role.token.ttl, maxTtl: role.token.maxTtl, period: role.token.period });
    },
  };
}

/** `pem_keys` is a comma-string slice, but PEM blocks are split on their boundaries, not on commas inside them. */
function getCommaListOfPem(value: unknown): string[] {
  if (value === undefined || value === null || value === "") return [];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string" && v.trim() !== "");
  if (typeof value !== "string") return [];
  const blocks = value.match(/-----BEGIN [^-]+-----[\s\S]+?-----END [^-]+-----/g);
  return blocks ?? getCommaList({ pem_keys: value }, "pem_keys") ?? [];
}
