/**
 * Watches the agent's credential files from outside the pod for a whole run: every few milliseconds it
 * reads each file and checks that it parses and is complete. Once a file was complete, a read that
 * finds it gone, empty, truncated, half-written or without the credential is a violation (docs/agent.md:
 * "Every file is replaced atomically … Nothing is ever deleted or truncated"). Before that, the agent's
 * placeholders (`connections.json` is `{}` until the first fetch, before /ready) are not counted.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";

export interface FileWatchReport {
  /** Complete reads, per file. */
  readonly reads: Record<string, number>;
  /** Every incomplete read or disappearance (`file: what`), at most 50. */
  readonly violations: string[];
  /** Access key ids seen in `<name>.json`, in order. */
  readonly accessKeyIds: string[];
}

type Check = (text: string) => string | undefined;

const nonEmpty = (v: unknown): boolean => typeof v === "string" && v !== "";

function credentialProcess(text: string): string | undefined {
  const j = JSON.parse(text) as Record<string, unknown>;
  if (j["Version"] !== 1 || !nonEmpty(j["AccessKeyId"]) || !nonEmpty(j["SecretAccessKey"])) return "credential_process JSON without Version 1 and keys";
  return typeof j["Expiration"] === "string" && j["Expiration"].endsWith("Z") ? undefined : "Expiration missing or not UTC";
}

function hasAll(...needles: string[]): Check {
  return (text) => {
    if (!text.endsWith("\n")) return "does not end with a newline";
    const missing = needles.filter((n) => !text.includes(n));
    return missing.length === 0 ? undefined : `lacks ${missing.join(", ")}`;
  };
}

/** The files the agent writes for one credential `name` (with an Airflow connection `connId`). */
function checks(name: string, connId: string | undefined): Record<string, Check> {
  return {
    [`${name}.json`]: credentialProcess,
    [`${name}.env`]: hasAll("AWS_ACCESS_KEY_ID=", "AWS_SECRET_ACCESS_KEY=", "AWS_ENDPOINT_URL_S3=", "AWS_REGION="),
    "aws/config": hasAll(`[profile ${name}]`, "credential_process = ", "endpoint_url = "),
    "aws/credentials": hasAll(`[${name}]`, "aws_access_key_id = ", "aws_secret_access_key = "),
    "endpoint-token": (t) => (t.length >= 32 ? undefined : `${t.length} characters`),
    "status.json": (t) => (typeof (JSON.parse(t) as Record<string, unknown>)["credentials"] === "object" ? undefined : "no credentials"),
    ...(connId !== undefined && {
      "airflow/connections.json": (t) => {
        const c = (JSON.parse(t) as Record<string, Record<string, unknown>>)[connId];
        return c?.["conn_type"] === "aws" && nonEmpty(c["login"]) && nonEmpty(c["password"]) ? undefined : `no complete "${connId}" connection`;
      },
    }),
  };
}

export function watchCredentialFiles(dir: () => string | undefined, name: string, options: { connId?: string; everyMs?: number } = {}): { stop: () => FileWatchReport } {
  const table = checks(name, options.connId);
  const reads: Record<string, number> = Object.fromEntries(Object.keys(table).map((f) => [f, 0]));
  const violations: string[] = [];
  const accessKeyIds: string[] = [];
  const violation = (v: string): void => {
    if (violations.length < 50) violations.push(v);
  };
  const tick = (): void => {
    const root = dir();
    if (root === undefined) return;
    for (const [file, check] of Object.entries(table)) {
      let text: string;
      try {
        text = readFileSync(join(root, file), "utf8");
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOENT" && (err as NodeJS.ErrnoException).code !== "ENOTDIR") violation(`${file}: ${(err as Error).message}`);
        else if ((reads[file] ?? 0) > 0) violation(`${file}: deleted after ${reads[file]} reads`);
        continue;
      }
      let problem: string | undefined;
      try {
        problem = text === "" ? "empty" : check(text);
      } catch (err) {
        problem = `does not parse (${(err as Error).message}), ${text.length} bytes`;
      }
      if (problem !== undefined) {
        if ((reads[file] ?? 0) > 0) violation(`${file}: ${problem} after ${reads[file]} complete reads`);
        continue;
      }
      reads[file] = (reads[file] ?? 0) + 1;
      if (file === `${name}.json`) {
        const ak = (JSON.parse(text) as { AccessKeyId: string }).AccessKeyId;
        if (accessKeyIds.at(-1) !== ak) accessKeyIds.push(ak);
      }
    }
  };
  const timer = setInterval(tick, options.everyMs ?? 5);
  return {
    stop: () => {
      clearInterval(timer);
      tick();
      return { reads, violations, accessKeyIds };
    },
  };
}
