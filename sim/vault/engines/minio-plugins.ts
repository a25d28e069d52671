/**
 * Response shapes of the third-party MinIO secrets plugins (listed below), so the agent's `minio`
 * format can be tested. Both are external plugins in real Vault; here they mint MinIO-shaped keys
 * locally (no MinIO is called):
 * - `minio` — `jayxiong1/vault-plugin-secrets-minio` (2024–25 fork): `creds|sts/<role>`, `static` or
 *   `sts` credential types, **no Vault lease**, `ttl` is a date string `2006-01-02 15:04:05`;
 * - `minio-legacy` — `kula/vault-plugin-secrets-minio` (2019): `keys/<role>`, leased, not renewable,
 *   revocation deletes the user; unknown role is a 500.
 */
import type { Backend, BackendContext, BackendRequest, BackendResponse } from "../core/backend.js";
import { randomBytes, randomInt } from "node:crypto";
import * as keys from "./aws-keys.js";
import type { NowSource } from "../time/clock.js";
import { codedError, errorResponse, unsupportedOperation, unsupportedPath } from "../server/errors.js";
import { getBool, getDuration, getString } from "../core/fields.js";

export interface MinioUser {
  readonly accessKeyId: string;
  readonly policy: string;
  readonly createdAt: number;
  deletedAt?: number;
}

/** Users the simulated MinIO "created", for assertions (e.g. revocation deleted the user). */
export class FakeMinio {
  private readonly users = new Map<string, MinioUser>();
  constructor(private readonly clock: NowSource) {}

  add(accessKeyId: string, policy: string): void {
    this.users.set(accessKeyId, { accessKeyId, policy, createdAt: this.clock.now() });
  }

  remove(accessKeyId: string): void {
    const u = this.users.get(accessKeyId);
    if (u !== undefined && u.deletedAt === undefined) u.deletedAt = this.clock.now();
  }

  list(): MinioUser[] {
    return [...this.users.values()];
  }
}

const isWrite = (req: BackendRequest): boolean => req.operation === "update" || req.operation === "create";
const minioAccessKey = (): string => Array.from({ length: 20 }, () => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"[randomInt(36)]).join("");

/** Go's `time.Format("2006-01-02 15:04:05")`, in UTC or the process's local zone. */
export function minioDate(epochMs: number, zone: "UTC" | "local"): string {
  const d = new Date(epochMs);
  const utc = zone === "UTC";
  const pad = (n: number): string => String(n).padStart(2, "0");
  const [y, mo, da, h, mi, s] = utc
    ? [d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()]
    : [d.getFullYear(), d.getMonth() + 1, d.getDate(), d.getHours(), d.getMinutes(), d.getSeconds()];
  return `${y}-${pad(mo)}-${pad(da)} ${pad(h)}:${pad(mi)}:${pad(s)}`;
}

interface Connection {
  endpoint: string;
  accessKeyId: string;
  secretAccessKey: string;
  useSSL: boolean;
}

function writeConnection(req: BackendRequest): Connection {
  return {
    endpoint: getString(req.data, "endpoint"),
    accessKeyId: getString(req.data, "accessKeyId"),
    secretAccessKey: getString(req.data, "secretAccessKey"),
    useSSL: getBool(req.data, "useSSL"),
  };
}

const readConnection = (c: Connection | undefined): BackendResponse | null =>
  c === undefined ? null : { data: { endpoint: c.endpoint, accessKeyId: c.accessKeyId, useSSL: c.useSSL } };

/** `jayxiong1/vault-plugin-secrets-minio`: no lease, `ttl` as a date string. */
export function createMinioPlugin(ctx: BackendContext, fake: FakeMinio, zone: () => "UTC" | "local"): Backend {
  let connection: Connection | undefined;
  interface Role {
    policyName: string;
    policyDocument: string;
    credentialType: "static" | "sts";
    userNamePrefix: string;
    maxStsTtl: number;
    maxTtl: number;
  }
  const roles = new Map<string, Role>();

  function generate(name: string, req: BackendRequest): BackendResponse {
    if (req.operation !== "read" && !isWrite(req)) throw unsupportedOperation();
    const role = roles.get(name);
    if (role === undefined) throw errorResponse(`role ${JSON.stringify(name)} not found`);
    let ttl = getDuration(req.data, "ttl", 900);
    const cap = role.credentialType === "sts" ? role.maxStsTtl : role.maxTtl;
    if (cap > 0 && ttl > cap) ttl = cap;
    const expires = minioDate(ctx.clock.now() + ttl * 1000, zone());
    if (role.credentialType === "sts") {
      return { data: { accessKeyId: minioAccessKey(), secretAccessKey: keys.secretAccessKey(), sessionToken: randomBytes(180).toString("base64url"), ttl: expires } };
    }
    const accessKeyId = `${role.userNamePrefix}${minioAccessKey()}`;
    fake.add(accessKeyId, role.policyName);
    return { data: { accessKeyId, secretAccessKey: keys.secretAccessKey(), policy_name: role.policyName, ttl: expires, userAccountStatus: "enabled" } };
  }

  return {
    type: "minio",
    mountType: "minio",
    handle(req) {
      if (req.path === "config/root") {
        if (req.operation === "read") return Promise.resolve(readConnection(connection));
        if (!isWrite(req)) throw unsupportedOperation();
        connection = writeConnection(req);
        return Promise.resolve(null);
      }
      if (req.path === "roles/" && req.operation === "list") return Promise.resolve(roles.size === 0 ? null : { data: { keys: [...roles.keys()].sort() } });
      let m = /^roles\/([^/]+)$/.exec(req.path);
      if (m !== null) {
        const name = m[1]!;
        if (req.operation === "read") {
          const r = roles.get(name);
          return Promise.resolve(
            r === undefined
              ? null
              : { data: { policy_name: r.policyName, policy_document: r.policyDocument, credential_type: r.credentialType, user_name_prefix: r.userNamePrefix, max_sts_ttl: r.maxStsTtl, max_ttl: r.maxTtl } },
          );
        }
        if (req.operation === "delete") {
          roles.delete(name);
          return Promise.resolve(null);
        }
        if (!isWrite(req)) throw unsupportedOperation();
        const type = getString(req.data, "credential_type", "static");
        if (type !== "static" && type !== "sts") throw errorResponse(`invalid credential_type ${JSON.stringify(type)}: must be "static" or "sts"`);
        roles.set(name, {
          policyName: getString(req.data, "policy_name"),
          policyDocument: getString(req.data, "policy_document"),
          credentialType: type,
          userNamePrefix: getString(req.data, "user_name_prefix"),
          maxStsTtl: getDuration(req.data, "max_sts_ttl", 86_400),
          maxTtl: getDuration(req.data, "max_ttl", 30 * 86_400),
        });
        return Promise.resolve(null);
      }
      m = /^(?:creds|sts)\/([^/]+)$/.exec(req.path);
      if (m !== null) return Promise.resolve(generate(m[1]!, req));
      throw unsupportedPath();
    },
  };
}

/** `kula/vault-plugin-secrets-minio`: leased, non-renewable keys; revocation removes the user. */
export function createMinioLegacyPlugin(ctx: BackendContext, fake: FakeMinio): Backend {
  let connection: Connection | undefined;
  interface Role {
    policy: string;
    userNamePrefix: string;
    defaultTtl: number;
    maxTtl: number;
  }
  const roles = new Map<string, Role>();

  return {
    type: "minio-legacy",
    mountType: "minio-legacy",
    handle(req) {
      if (req.path === "config") {
        if (req.operation === "read") return Promise.resolve(readConnection(connection));
        if (!isWrite(req)) throw unsupportedOperation();
        connection = writeConnection(req);
        return Promise.resolve(null);
      }
      let m = /^roles\/([^/]+)$/.exec(req.path);
      if (m !== null) {
        const name = m[1]!;
        if (req.operation === "read") {
          const r = roles.get(name);
          return Promise.resolve(r === undefined ? null : { data: { policy: r.policy, user_name_prefix: r.userNamePrefix, default_ttl: r.defaultTtl, max_ttl: r.maxTtl } });
        }
        if (req.operation === "delete") {
          roles.delete(name);
          return Promise.resolve(null);
        }
        if (!isWrite(req)) throw unsupportedOperation();
        roles.set(name, {
          policy: getString(req.data, "policy"),
          userNamePrefix: getString(req.data, "user_name_prefix"),
          defaultTtl: getDuration(req.data, "default_ttl"),
          maxTtl: getDuration(req.data, "max_ttl"),
        });
        return Promise.resolve(null);
      }
      m = /^keys\/([^/]+)$/.exec(req.path);
      if (m !== null) {
        if (req.operation !== "read") throw unsupportedOperation();
        const role = roles.get(m[1]!);
        if (role === undefined) throw codedError(500, "error fetching role: role not found");
        // The plugin passes the `ttl` parameter to CalculateTTL as the *period*, so when given it wins.
        const period = getDuration(req.data, "ttl");
        const mountMax = ctx.mountTtls().maxLeaseTtl;
        const max = role.maxTtl > 0 && role.maxTtl < mountMax ? role.maxTtl : mountMax;
        const ttl = Math.min(period > 0 ? period : role.defaultTtl > 0 ? role.defaultTtl : ctx.mountTtls().defaultLeaseTtl, max);
        const accessKeyId = `${role.userNamePrefix}${req.requestId}`;
        fake.add(accessKeyId, role.policy);
        return Promise.resolve({
          data: { accessKeyId, secretAccessKey: keys.secretAccessKey(), accountStatus: "enabled", policy: role.policy },
          secret: { ttl, maxTtl: role.maxTtl, renewable: false, internal: { accessKeyId } },
        });
      }
      throw unsupportedPath();
    },
    revokeSecret(lease) {
      const id = lease.internal.accessKeyId;
      if (typeof id === "string") fake.remove(id);
      return Promise.resolve();
    },
  };
}
