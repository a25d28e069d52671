/**
 * Real STS calls for the `aws` engine when `sts_endpoint` is set (e.g. Ceph RGW or MinIO): AssumeRole,
 * GetFederationToken and GetSessionToken through `@aws-sdk/client-sts`, signed with the root keys.
 * The SDK is imported on first use so `avi sim vault` starts fast.
 */
import type * as StsSdk from "@aws-sdk/client-sts";
import { AwsApiError, type TemporaryCredentials } from "./fake-aws.js";

export interface StsTarget {
  readonly endpoint: string;
  readonly region: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** `max_retries` (-1 = SDK default). */
  readonly maxRetries: number;
}

export interface AssumeRoleInput {
  readonly roleArn: string;
  readonly sessionName: string;
  readonly durationSeconds: number;
  readonly policy?: string;
  readonly policyArns?: readonly string[];
  readonly externalId?: string;
}

interface SdkErrorLike {
  name?: string;
  message?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
}

/** Map an SDK failure to the Go SDK's error text (what Vault puts after "Error assuming role: "). */
function asAwsError(err: unknown): AwsApiError {
  const e = (typeof err === "object" && err !== null ? err : {}) as SdkErrorLike;
  const status = e.$metadata?.httpStatusCode ?? 0;
  const code = e.Code ?? e.name ?? "RequestError";
  const message = e.message ?? String(err);
  if (status === 0) return new AwsApiError("RequestError", `send request failed\ncaused by: ${message}`, 0);
  return new AwsApiError(code, message, status);
}

type StsModule = typeof StsSdk;

/** The SDK, loaded on first use. Bundled as ESM (dist/avi.js), the CommonJS SDK arrives as the default export. */
async function sdk(): Promise<StsModule> {
  const mod = (await import("@aws-sdk/client-sts")) as StsModule & { default?: StsModule };
  return typeof mod.STSClient === "function" ? mod : (mod.default ?? mod);
}

async function client(target: StsTarget) {
  const { STSClient } = await sdk();
  return new STSClient({
    endpoint: target.endpoint,
    region: target.region,
    credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey },
    ...(target.maxRetries >= 0 ? { maxAttempts: target.maxRetries + 1 } : {}),
  });
}

function toTemporary(creds: { AccessKeyId?: string; SecretAccessKey?: string; SessionToken?: string; Expiration?: Date } | undefined, arn?: string): TemporaryCredentials {
  if (creds?.AccessKeyId === undefined || creds.SecretAccessKey === undefined || creds.Expiration === undefined) {
    throw new AwsApiError("SerializationError", "STS response carried no credentials", 200);
  }
  return {
    accessKeyId: creds.AccessKeyId,
    secretAccessKey: creds.SecretAccessKey,
    sessionToken: creds.SessionToken ?? "",
    expiration: creds.Expiration.getTime(),
    assumedRoleArn: arn,
  };
}

export async function assumeRole(target: StsTarget, input: AssumeRoleInput): Promise<TemporaryCredentials> {
  const { AssumeRoleCommand } = await sdk();
  const sts = await client(target);
  try {
    const out = await sts.send(
      new AssumeRoleCommand({
        RoleArn: input.roleArn,
        RoleSessionName: input.sessionName,
        DurationSeconds: input.durationSeconds,
        ...(input.policy !== undefined && input.policy !== "" ? { Policy: input.policy } : {}),
        ...(input.policyArns !== undefined && input.policyArns.length > 0 ? { PolicyArns: input.policyArns.map((arn) => ({ arn })) } : {}),
        ...(input.externalId !== undefined && input.externalId !== "" ? { ExternalId: input.externalId } : {}),
      }),
    );
    return toTemporary(out.Credentials, out.AssumedRoleUser?.Arn);
  } catch (err) {
    throw err instanceof AwsApiError ? err : asAwsError(err);
  } finally {
    sts.destroy();
  }
}

export async function getFederationToken(target: StsTarget, name: string, durationSeconds: number, policy?: string): Promise<TemporaryCredentials> {
  const { GetFederationTokenCommand } = await sdk();
  const sts = await client(target);
  try {
    const out = await sts.send(
      new GetFederationTokenCommand({ Name: name, DurationSeconds: durationSeconds, ...(policy !== undefined && policy !== "" ? { Policy: policy } : {}) }),
    );
    return toTemporary(out.Credentials);
  } catch (err) {
    throw err instanceof AwsApiError ? err : asAwsError(err);
  } finally {
    sts.destroy();
  }
}

export async function getSessionToken(target: StsTarget, durationSeconds: number): Promise<TemporaryCredentials> {
  const { GetSessionTokenCommand } = await sdk();
  const sts = await client(target);
  try {
    const out = await sts.send(new GetSessionTokenCommand({ DurationSeconds: durationSeconds }));
    return toTemporary(out.Credentials);
  } catch (err) {
    throw err instanceof AwsApiError ? err : asAwsError(err);
  } finally {
    sts.destroy();
  }
}
