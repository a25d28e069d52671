/**
 * The `aws` secrets engine (developer.hashicorp.com/vault/api-docs/secret/aws, Vault 1.16+): `config/root`, `config/lease`, `roles/<name>`, and
 * `creds/<role>` / `sts/<role>` for `iam_user` (renewable lease, user deleted on revocation) and the
 * STS types `assumed_role`, `federation_token`, `session_token` (non-renewable, both `security_token`
 * and `session_token`). With `sts_endpoint` set, STS calls go to that real endpoint (Ceph RGW, MinIO);
 * otherwise a simulated account answers.
 */
import type { Backend, BackendContext, BackendRequest, BackendResponse, RenewedTtl } from "../core/backend.js";
import { formatGoDuration } from "../time/duration.js";
import { errorResponse, unsupportedOperation, unsupportedPath } from "../server/errors.js";
import { AwsApiError, type FakeAwsCloud, type TemporaryCredentials } from "./fake-aws.js";
import { getCommaList, getDuration, getInt, getString, getStringMap } from "../core/fields.js";
import * as ids from "../core/identifiers.js";
import { assumeRole, getFederationToken, getSessionToken, type StsTarget } from "./sts-upstream.js";

const CREDENTIAL_TYPES = ["iam_user", "assumed_role", "federation_token", "session_token"] as const;
type CredentialType = (typeof CREDENTIAL_TYPES)[number];
const STS_TYPES: readonly CredentialType[] = ["assumed_role", "federation_token", "session_token"];

interface RootConfig {
  accessKey: string;
  secretKey: string;
  region: string;
  iamEndpoint: string;
  stsEndpoint: string;
  stsRegion: string;
  maxRetries: number;
  usernameTemplate: string;
}

interface LeaseConfig {
  lease: number;
  leaseMax: number;
}

interface AwsRole {
  credentialTypes: CredentialType[];
  roleArns: string[];
  policyArns: string[];
  policyDocument: string;
  iamGroups: string[];
  iamTags: Record<string, string>;
  defaultStsTtl: number;
  maxStsTtl: number;
  userPath: string;
  permissionsBoundaryArn: string;
  mfaSerialNumber: string;
  sessionTags: Record<string, string>;
  externalId: string;
}

/** Upstream STS calls; replaceable in tests. */
export interface StsCalls {
  assumeRole: typeof assumeRole;
  getFederationToken: typeof getFederationToken;
  getSessionToken: typeof getSessionToken;
}

const REAL_STS: StsCalls = { assumeRole, getFederationToken, getSessionToken };

export function createAwsEngineFactory(fake: FakeAwsCloud, sts: StsCalls = REAL_STS) {
  return (ctx: BackendContext): Backend => createAwsEngine(ctx, fake, sts);
}

function createAwsEngine(ctx: BackendContext, fake: FakeAwsCloud, sts: StsCalls): Backend {
  let root: RootConfig | undefined;
  let leaseConfig: LeaseConfig | undefined;
  const roles = new Map<string, AwsRole>();
  const isWrite = (req: BackendRequest): boolean => req.operation === "update" || req.operation === "create";

  function writeRoot(req: BackendRequest): null {
    root = {
      accessKey: getString(req.data, "access_key", root?.accessKey ?? ""),
      secretKey: getString(req.data, "secret_key", root?.secretKey ?? ""),
      region: getString(req.data, "region", root?.region ?? ""),
      iamEndpoint: getString(req.data, "iam_endpoint", root?.iamEndpoint ?? ""),
      stsEndpoint: getString(req.data, "sts_endpoint", root?.stsEndpoint ?? ""),
      stsRegion: getString(req.data, "sts_region", root?.stsRegion ?? ""),
      maxRetries: getInt(req.data, "max_retries", root?.maxRetries ?? -1),
      usernameTemplate: getString(req.data, "username_template", root?.usernameTemplate ?? ""),
    };
    return null;
  }

  function readRoot(): BackendResponse | null {
    if (root === undefined) return null;
    return {
      data: {
        access_key: root.accessKey,
        region: root.region,
        iam_endpoint: root.iamEndpoint,
        sts_endpoint: root.stsEndpoint,
        sts_region: root.stsRegion,
        max_retries: root.maxRetries,
        username_template: root.usernameTemplate,
      },
    };
  }

  function writeLease(req: BackendRequest): null {
    const leaseRaw = getString(req.data, "lease");
    if (leaseRaw === "") throw errorResponse("'lease' is a required parameter");
    const maxRaw = getString(req.data, "lease_max");
    if (maxRaw === "") throw errorResponse("'lease_max' is a required parameter");
    const lease = getDuration(req.data, "lease");
    const leaseMax = getDuration(req.data, "lease_max");
    leaseConfig = { lease, leaseMax };
    return null;
  }

  function writeRole(name: string, req: BackendRequest): BackendResponse | null {
    const prev = roles.get(name);
    const role: AwsRole = prev !== undefined
      ? { ...prev }
      : { credentialTypes: [], roleArns: [], policyArns: [], policyDocument: "", iamGroups: [], iamTags: {}, defaultStsTtl: 0, maxStsTtl: 0, userPath: "", permissionsBoundaryArn: "", mfaSerialNumber: "", sessionTags: {}, externalId: "" };
    const types = getCommaList(req.data, "credential_type");
    if (types !== undefined) {
      for (const t of types) if (!(CREDENTIAL_TYPES as readonly string[]).includes(t)) throw errorResponse(`unrecognized credential type: ${t}`);
      role.credentialTypes = types as CredentialType[];
    }
    if (role.credentialTypes.length === 0) throw errorResponse("did not supply credential_type");
    role.roleArns = getCommaList(req.data, "role_arns") ?? role.roleArns;
    role.policyArns = getCommaList(req.data, "policy_arns") ?? role.policyArns;
    if (req.data.policy_document !== undefined) {
      const doc = getString(req.data, "policy_document");
      if (doc !== "") {
        try {
          JSON.parse(doc);
        } catch {
          throw errorResponse("cannot parse policy document");
        }
      }
      role.policyDocument = doc;
    }
    role.iamGroups = getCommaList(req.data, "iam_groups") ?? role.iamGroups;
    role.iamTags = getStringMap(req.data, "iam_tags") ?? role.iamTags;
    role.sessionTags = getStringMap(req.data, "session_tags") ?? role.sessionTags;
    role.defaultStsTtl = getDuration(req.data, "default_sts_ttl", role.defaultStsTtl);
    role.maxStsTtl = getDuration(req.data, "max_sts_ttl", role.maxStsTtl);
    role.userPath = getString(req.data, "user_path", role.userPath);
    role.permissionsBoundaryArn = getString(req.data, "permissions_boundary_arn", role.permissionsBoundaryArn);
    role.mfaSerialNumber = getString(req.data, "mfa_serial_number", role.mfaSerialNumber);
    role.externalId = getString(req.data, "external_id", role.externalId);

    const has = (t: CredentialType): boolean => role.credentialTypes.includes(t);
    if (role.roleArns.length > 0 && !has("assumed_role")) throw errorResponse("cannot supply role_arns when credential_type isn't assumed_role");
    if (role.iamGroups.length > 0 && !has("iam_user")) throw errorResponse("cannot supply iam_groups when not using iam_user credentials");
    if (role.userPath !== "" && !has("iam_user")) throw errorResponse("user_path parameter only valid for iam_user credential type");
    const stsOnly = "only valid for assumed_role, federation_token, and session_token credential types";
    if (role.defaultStsTtl > 0 && !role.credentialTypes.some((t) => STS_TYPES.includes(t))) throw errorResponse(`default_sts_ttl parameter ${stsOnly}`);
    if (role.maxStsTtl > 0 && !role.credentialTypes.some((t) => STS_TYPES.includes(t))) throw errorResponse(`max_sts_ttl parameter ${stsOnly}`);
    if (role.maxStsTtl > 0 && role.defaultStsTtl > role.maxStsTtl) throw errorResponse("default_sts_ttl cannot exceed max_sts_ttl");
    roles.set(name, role);
    return null;
  }

  function readRole(name: string): BackendResponse | null {
    const role = roles.get(name);
    if (role === undefined) return null;
    return {
      data: {
        credential_type: role.credentialTypes.join(","),
        default_sts_ttl: Math.trunc(role.defaultStsTtl),
        external_id: role.externalId,
        iam_groups: [...role.iamGroups],
        iam_tags: { ...role.iamTags },
        max_sts_ttl: Math.trunc(role.maxStsTtl),
        mfa_serial_number: role.mfaSerialNumber,
        permissions_boundary_arn: role.permissionsBoundaryArn,
        policy_arns: [...role.policyArns],
        policy_document: role.policyDocument,
        role_arns: [...role.roleArns],
        session_tags: { ...role.sessionTags },
        user_path: role.userPath,
      },
    };
  }

  /** Vault's default username template, for IAM users and session names. */
  function generatedName(req: BackendRequest, roleName: string, sts: boolean): string {
    const unix = Math.floor(ctx.clock.now() / 1000);
    if (sts) return `vault-${unix}-${ids.base62(20)}`.slice(0, 32);
    const display = (req.token?.displayName ?? "").replace(/^token-?/, "token");
    return `vault-${`${display}-${roleName}`.slice(0, 42)}-${unix}-${ids.base62(20)}`.replaceAll("+", "-").slice(0, 64);
  }

  function stsTarget(): StsTarget | undefined {
    if (root === undefined || root.stsEndpoint === "") return undefined;
    return {
      endpoint: root.stsEndpoint,
      region: root.stsRegion || root.region || "us-east-1",
      accessKeyId: root.accessKey,
      secretAccessKey: root.secretKey,
      maxRetries: root.maxRetries,
    };
  }

  function awsFailure(prefix: string, err: unknown): never {
    if (err instanceof AwsApiError) throw errorResponse(`${prefix}: ${err.message}`, err.throttled ? 502 : 400);
    throw errorResponse(`${prefix}: ${err instanceof Error ? err.message : String(err)}`);
  }

  function stsData(creds: TemporaryCredentials, withArn: boolean, withTtl: boolean, now: number): { data: Record<string, unknown>; ttl: number } {
    const ttl = Math.max(0, Math.floor((creds.expiration - now) / 1000));
    const data: Record<string, unknown> = {
      access_key: creds.accessKeyId,
      secret_key: creds.secretAccessKey,
      security_token: creds.sessionToken,
      session_token: creds.sessionToken,
    };
    if (withArn) data.arn = creds.assumedRoleArn ?? "";
    if (withTtl) data.ttl = ttl;
    return { data, ttl };
  }

  async function generate(roleName: string, req: BackendRequest): Promise<BackendResponse> {
    if (req.operation !== "read" && !isWrite(req)) throw unsupportedOperation();
    const role = roles.get(roleName);
    if (role === undefined) throw errorResponse(`Role ${JSON.stringify(roleName)} not found`);
    const requestedType = getString(req.data, "credential_type");
    let type: CredentialType;
    if (role.credentialTypes.length === 1) type = role.credentialTypes[0]!;
    else if (requestedType !== "" && role.credentialTypes.includes(requestedType as CredentialType)) type = requestedType as CredentialType;
    else throw errorResponse(`did not supply credential_type and more than one allowed for role ${JSON.stringify(roleName)}`);

    if (type === "iam_user") {
      const userName = generatedName(req, roleName, false);
      let created: ReturnType<FakeAwsCloud["createUser"]>;
      try {
        created = fake.createUser(userName, role.policyArns, role.iamGroups);
      } catch (err) {
        awsFailure("Error creating IAM user", err);
      }
      return {
        data: { access_key: created.user.accessKeyId, secret_key: created.secretAccessKey, security_token: null, session_token: null },
        secret: { ttl: leaseConfig?.lease ?? 0, maxTtl: leaseConfig?.leaseMax ?? 0, renewable: true, internal: { username: userName, is_sts: false } },
      };
    }

    const mountMax = ctx.mountTtls().maxLeaseTtl;
    let ttl = getDuration(req.data, "ttl");
    if (ttl === 0) ttl = role.defaultStsTtl > 0 ? role.defaultStsTtl : 3600;
    const cap = role.maxStsTtl > 0 ? role.maxStsTtl : mountMax;
    if (ttl > cap) ttl = cap;
    ttl = Math.trunc(ttl);
    const target = stsTarget();
    const clockNow = target === undefined ? ctx.clock.now() : Date.now();
    let creds: TemporaryCredentials;

    if (type === "assumed_role") {
      const requestedArn = getString(req.data, "role_arn");
      let roleArn: string;
      if (requestedArn !== "") {
        if (!role.roleArns.includes(requestedArn)) throw errorResponse(`role_arn ${JSON.stringify(requestedArn)} not in allowed role arns for Vault role ${JSON.stringify(roleName)}`);
        roleArn = requestedArn;
      } else if (role.roleArns.length === 1) roleArn = role.roleArns[0]!;
      else throw errorResponse("did not supply a role_arn parameter and unable to determine one");
      let sessionName = getString(req.data, "role_session_name");
      if (sessionName.length > 64) throw errorResponse("role_session_name must be at most 64 characters");
      if (sessionName === "") sessionName = generatedName(req, roleName, false);
      try {
        creds = target === undefined
          ? fake.assumeRole(roleArn, sessionName, ttl)
          : await sts.assumeRole(target, { roleArn, sessionName, durationSeconds: ttl, policy: role.policyDocument, policyArns: role.policyArns, externalId: role.externalId });
      } catch (err) {
        awsFailure("Error assuming role", err);
      }
      const { data, ttl: remaining } = stsData(creds, true, true, clockNow);
      return { data, secret: { ttl: remaining, maxTtl: 0, renewable: false, internal: { is_sts: true } } };
    }

    try {
      if (type === "federation_token") {
        const name = generatedName(req, roleName, true);
        creds = target === undefined ? fake.getFederationToken(ttl) : await sts.getFederationToken(target, name, ttl, role.policyDocument);
      } else {
        creds = target === undefined ? fake.getSessionToken(ttl) : await sts.getSessionToken(target, ttl);
      }
    } catch (err) {
      awsFailure("Error generating STS keys", err);
    }
    const { data, ttl: remaining } = stsData(creds, false, type === "federation_token", clockNow);
    return { data, secret: { ttl: remaining, maxTtl: 0, renewable: false, internal: { is_sts: true } } };
  }

  return {
    type: "aws",
    mountType: "aws",
    exists(req) {
      const m = /^roles\/([^/]+)$/.exec(req.path);
      return m === null ? undefined : roles.has(m[1]!);
    },
    async handle(req) {
      if (req.path === "config/root") {
        if (req.operation === "read") return readRoot();
        if (isWrite(req)) return writeRoot(req);
        throw unsupportedOperation();
      }
      if (req.path === "config/lease") {
        if (req.operation === "read") {
          return leaseConfig === undefined ? null : { data: { lease: formatGoDuration(leaseConfig.lease), lease_max: formatGoDuration(leaseConfig.leaseMax) } };
        }
        if (isWrite(req)) return writeLease(req);
        throw unsupportedOperation();
      }
      if (req.path === "roles/" || req.path === "roles") {
        if (req.operation !== "list") throw unsupportedOperation();
        return roles.size === 0 ? null : { data: { keys: [...roles.keys()].sort() } };
      }
      let m = /^roles\/([^/]+)$/.exec(req.path);
      if (m !== null) {
        if (req.operation === "read") return readRole(m[1]!);
        if (req.operation === "delete") {
          roles.delete(m[1]!);
          return null;
        }
        if (isWrite(req)) return writeRole(m[1]!, req);
        throw unsupportedOperation();
      }
      m = /^(?:creds|sts)\/([^/]+)$/.exec(req.path);
      if (m !== null) return generate(m[1]!, req);
      throw unsupportedPath();
    },
    renewSecret(lease): Promise<RenewedTtl> {
      if (lease.internal.is_sts === true) return Promise.reject(new Error("lease is not renewable"));
      return Promise.resolve({ ttl: leaseConfig?.lease ?? 0, maxTtl: leaseConfig?.leaseMax ?? 0 });
    },
    revokeSecret(lease) {
      const username = lease.internal.username;
      if (typeof username === "string") fake.deleteUser(username);
      return Promise.resolve();
    },
  };
}
