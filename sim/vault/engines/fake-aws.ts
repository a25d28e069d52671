/**
 * A stand-in for the AWS account behind the `aws` engine when no `sts_endpoint` is configured: IAM users
 * (created on `iam_user` reads, deleted on revocation — visible to tests) and STS calls that validate
 * durations the way AWS does and mint AWS-shaped temporary credentials. Errors read like the Go SDK's.
 */
import { randomUUID } from "node:crypto";
import * as keys from "./aws-keys.js";
import type { NowSource } from "../time/clock.js";

export const FAKE_ACCOUNT_ID = "123456789012";

export interface IamUser {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly createdAt: number;
  readonly policyArns: readonly string[];
  readonly groups: readonly string[];
  deletedAt?: number;
}

export interface TemporaryCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  /** Epoch ms. */
  readonly expiration: number;
  readonly assumedRoleArn?: string;
}

/** An AWS API error, formatted like aws-sdk-go v1's `awserr.RequestFailure`. */
export class AwsApiError extends Error {
  override readonly name = "AwsApiError";
  constructor(
    readonly code: string,
    readonly awsMessage: string,
    readonly statusCode: number,
  ) {
    super(`${code}: ${awsMessage}\n\tstatus code: ${statusCode}, request id: ${randomUUID()}`);
  }
  get throttled(): boolean {
    return ["Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"].includes(this.code);
  }
}

function validateDuration(seconds: number, min: number, max: number): void {
  if (seconds < min) {
    throw new AwsApiError("ValidationError", `1 validation error detected: Value '${seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to ${min}`, 400);
  }
  if (seconds > max) {
    throw new AwsApiError("ValidationError", `1 validation error detected: Value '${seconds}' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to ${max}`, 400);
  }
}

export class FakeAwsCloud {
  private readonly users = new Map<string, IamUser>();
  /** Inject the next N STS/IAM calls to fail (tests of `Error assuming role`, throttling → 502). */
  private failures: AwsApiError[] = [];

  constructor(
    private readonly clock: NowSource,
    private readonly minStsDurationSeconds: () => number,
  ) {}

  failNext(error: AwsApiError, times = 1): void {
    for (let i = 0; i < times; i++) this.failures.push(error);
  }

  private maybeFail(): void {
    const next = this.failures.shift();
    if (next !== undefined) throw next;
  }

  createUser(userName: string, policyArns: readonly string[], groups: readonly string[]): { user: IamUser; secretAccessKey: string } {
    this.maybeFail();
    const user: IamUser = { userName, accessKeyId: keys.longTermAccessKeyId(), createdAt: this.clock.now(), policyArns, groups };
    this.users.set(userName, user);
    return { user, secretAccessKey: keys.secretAccessKey() };
  }

  deleteUser(userName: string): void {
    const user = this.users.get(userName);
    if (user !== undefined && user.deletedAt === undefined) user.deletedAt = this.clock.now();
  }

  /** Every IAM user created, including deleted ones (`deletedAt` set). */
  iamUsers(): IamUser[] {
    return [...this.users.values()];
  }

  private temporary(seconds: number, assumedRoleArn?: string): TemporaryCredentials {
    // STS reports expirations at second precision.
    const expiration = Math.floor(this.clock.now() / 1000) * 1000 + seconds * 1000;
    return { accessKeyId: keys.temporaryAccessKeyId(), secretAccessKey: keys.secretAccessKey(), sessionToken: keys.sessionToken(), expiration, assumedRoleArn };
  }

  assumeRole(roleArn: string, sessionName: string, durationSeconds: number): TemporaryCredentials {
    this.maybeFail();
    validateDuration(durationSeconds, this.minStsDurationSeconds(), 43_200);
    const m = /^arn:aws[\w-]*:iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(roleArn);
    if (m === null) throw new AwsApiError("ValidationError", `${roleArn} is invalid`, 400);
    return this.temporary(durationSeconds, `arn:aws:sts::${m[1]}:assumed-role/${m[2]}/${sessionName}`);
  }

  getFederationToken(durationSeconds: number): TemporaryCredentials {
    this.maybeFail();
    validateDuration(durationSeconds, this.minStsDurationSeconds(), 129_600);
    return this.temporary(durationSeconds);
  }

  getSessionToken(durationSeconds: number): TemporaryCredentials {
    this.maybeFail();
    validateDuration(durationSeconds, this.minStsDurationSeconds(), 129_600);
    return this.temporary(durationSeconds);
  }
}
