/**
 * HTTP → Vault logical request (`http/logical.go` buildLogicalRequestNoAuth, `http/handler.go`): method to operation, `?list=true`, JSON or form
 * bodies, query data, the client token from `X-Vault-Token` or `Authorization: Bearer`, and the
 * response-wrapping header.
 */
import type { Operation } from "../policy/acl.js";
import { DurationError, parseDurationSecond } from "../time/duration.js";
import { emptyError, errorResponse, VaultError } from "./errors.js";
import { parseGoBool } from "../core/fields.js";

export interface RawRequest {
  readonly method: string;
  /** Path and query as received (`/v1/aws/creds/app?ttl=1h`). */
  readonly url: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  readonly remoteAddress: string;
}

export interface LogicalRequest {
  readonly operation: Operation;
  /** API path without `/v1/`; list paths end with `/`. */
  readonly path: string;
  readonly data: Record<string, unknown>;
  readonly clientToken?: string;
  /** Requested response-wrapping TTL, seconds. */
  readonly wrapTtl?: number;
}

/** Max request body (`max_request_size` default): 32 MiB. */
export const MAX_REQUEST_BYTES = 32 * 1024 * 1024;

/** The client token: `X-Vault-Token` wins; `Authorization` counts only with the `Bearer ` scheme. */
export function clientToken(headers: Readonly<Record<string, string>>): string | undefined {
  const direct = headers["x-vault-token"];
  if (direct !== undefined && direct !== "") return direct;
  const auth = headers.authorization;
  if (auth?.startsWith("Bearer ")) {
    const t = auth.slice("Bearer ".length).trim();
    return t === "" ? undefined : t;
  }
  return undefined;
}

export function parseLogicalRequest(raw: RawRequest): LogicalRequest {
  const url = new URL(raw.url, "http://vault.invalid");
  let path = decodeURIComponent(url.pathname.slice("/v1/".length));
  const query = queryData(url.searchParams);
  let operation: Operation;
  let data: Record<string, unknown>;
  switch (raw.method) {
    case "GET": {
      operation = "read";
      if (url.searchParams.has("list")) {
        const list = parseGoBool(url.searchParams.get("list") ?? "");
        if (list === undefined) throw emptyError(400);
        if (list) operation = "list";
      }
      delete query.list;
      delete query.help;
      data = query;
      break;
    }
    case "LIST":
      operation = "list";
      data = query;
      break;
    case "POST":
    case "PUT":
      operation = "update";
      data = parseBody(raw);
      break;
    case "PATCH": {
      const contentType = raw.headers["content-type"] ?? "";
      if (contentType.split(";")[0]?.trim().toLowerCase() !== "application/merge-patch+json") {
        throw errorResponse(`PATCH requires Content-Type of application/merge-patch+json, provided ${contentType}`, 415);
      }
      operation = "patch";
      data = parseBody(raw);
      break;
    }
    case "DELETE":
      operation = "delete";
      data = query;
      break;
    case "HEAD":
      operation = "header";
      data = query;
      break;
    default:
      throw emptyError(405);
  }
  if (operation === "list" && !path.endsWith("/")) path += "/";
  return { operation, path, data, clientToken: clientToken(raw.headers), wrapTtl: wrapTtl(raw.headers) };
}

function queryData(params: URLSearchParams): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of new Set(params.keys())) {
    const values = params.getAll(key);
    out[key] = values.length === 1 ? values[0] : values;
  }
  return out;
}

function parseBody(raw: RawRequest): Record<string, unknown> {
  const text = raw.body.toString("utf8");
  if (text.trim() === "") return {};
  const contentType = (raw.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  const first = text.trimStart()[0];
  if (contentType === "application/x-www-form-urlencoded" && first !== "{" && first !== "[") {
    return queryData(new URLSearchParams(text));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new VaultError(400, ["error parsing JSON"], "response");
  }
  if (parsed === null) return {};
  if (typeof parsed !== "object" || Array.isArray(parsed)) throw new VaultError(400, ["error parsing JSON"], "response");
  return parsed as Record<string, unknown>;
}

function wrapTtl(headers: Readonly<Record<string, string>>): number | undefined {
  const value = headers["x-vault-wrap-ttl"];
  if (value === undefined || value === "") return undefined;
  let seconds: number;
  try {
    seconds = parseDurationSecond(value);
  } catch (err) {
    throw errorResponse(`error parsing X-Vault-Wrap-TTL header: ${err instanceof DurationError ? err.message : String(err)}`);
  }
  if (seconds < 0) throw errorResponse("error parsing X-Vault-Wrap-TTL header: requested wrap ttl cannot be negative");
  return seconds === 0 ? undefined : seconds;
}
