/**
 * The files a task sees (docs/agent.md): formats checked against the fixtures synthesized from
 * botocore's and Airflow's parsers (botocore 1.43 `credentials.py`, `airflow/secrets/local_filesystem.py`,
 * the amazon provider's `AwsConnectionWrapper`), and the atomic,
 * mode-setting, change-only writer on a real temporary directory.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { renderAirflowConnections } from "../../agent/airflow-connections.js";
import { writeFileAtomic } from "../../agent/atomic-file.js";
import { renderAwsConfig } from "../../agent/aws-config-file.js";
import { renderAwsSharedCredentials } from "../../agent/aws-shared-credentials.js";
import { awsExpiration } from "../../agent/aws-time.js";
import { parseAgentConfig, type CredentialSpec } from "../../agent/config.js";
import { renderCredentialProcess } from "../../agent/credential-process.js";
import { renderEnvFile } from "../../agent/env-file.js";
import { OutputDirectory, OutputWriteError, directoryMode, renderOutputFiles } from "../../agent/output-files.js";
import type { PublishedCredential } from "../../agent/published-credential.js";
import { readFixture } from "../support/repo.js";

const EXP = Date.UTC(2026, 4, 1, 11, 0, 0) + 999;

function specs(...inputs: Record<string, unknown>[]): CredentialSpec[] {
  return parseAgentConfig({
    version: 1,
    mode: "sidecar",
    vault: { address: "https://vault:8200", role: "r" },
    credentials: inputs,
    context: { namespace: "n", serviceAccount: "s" },
  }).credentials;
}

const [rgw, aws] = specs(
  { name: "rgw", path: "aws/sts/rgw", format: "aws", endpoint: "http://rgw.ceph.svc:8080", region: "default", airflowConnId: "rgw_default" },
  { name: "app", path: "aws/creds/app", format: "aws" },
) as [CredentialSpec, CredentialSpec];

const published: PublishedCredential[] = [
  { spec: rgw, seq: 1, credential: { accessKeyId: "ASIARGW", secretAccessKey: "wJal/rXUt+nFEMI=", sessionToken: "FwoGZXIvYXdzEJr//////////wEaD" }, expiration: EXP, validUntil: EXP },
  { spec: aws, seq: 3, credential: { accessKeyId: "AKIASTATIC", secretAccessKey: "it's $secret", sessionToken: "" }, expiration: EXP, validUntil: EXP },
];

/** Minimal INI reader: section → key → value (botocore's configparser semantics for these files). */
function ini(text: string): Map<string, Map<string, string>> {
  const out = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = /^\[(.+)\]$/.exec(line);
    if (header !== null) {
      section = new Map();
      out.set(header[1] ?? "", section);
      continue;
    }
    const kv = /^([^=]+?)\s*=\s*(.*)$/.exec(line);
    if (kv === null || section === undefined) throw new Error(`not INI: ${line}`);
    section.set(kv[1] ?? "", kv[2] ?? "");
  }
  return out;
}

describe("formats", () => {
  it("credential_process JSON has the fixture's keys, UTC Z seconds, and omits an empty SessionToken", () => {
    const fixture = JSON.parse(readFixture("airflow/synthesized/credential-process-output.json")) as Record<string, unknown>;
    const doc = JSON.parse(renderCredentialProcess(published[0] as PublishedCredential)) as Record<string, unknown>;
    expect(Object.keys(doc).sort()).toEqual(Object.keys(fixture).sort());
    expect(doc["Expiration"]).toBe("2026-05-01T11:00:00Z");
    expect(doc["Version"]).toBe(1);
    expect(JSON.parse(renderCredentialProcess(published[1] as PublishedCredential))).not.toHaveProperty("SessionToken");
  });

  it("formats Expiration as the JS SDK's RFC 3339 parser demands, rounding down", () => {
    expect(awsExpiration(Date.UTC(2026, 0, 2, 3, 4, 5, 999))).toBe("2026-01-02T03:04:05Z");
    expect(awsExpiration(EXP)).toMatch(/^\d{4}-\d{2}-\d{2}[tT]\d{2}:\d{2}:\d{2}[zZ]$/);
  });

  it("aws/config: one credential_process profile per credential with endpoint and region, no [default]", () => {
    const fixture = ini(readFixture("airflow/synthesized/aws-config-credential-process.ini"));
    const config = ini(renderAwsConfig([rgw, aws], "/var/run/secrets/airflow-vault"));
    expect([...config.keys()]).toEqual(["profile rgw", "profile app"]);
    expect(Object.fromEntries(config.get("profile rgw") ?? [])).toEqual({
      credential_process: "/bin/cat /var/run/secrets/airflow-vault/rgw.json",
      endpoint_url: "http://rgw.ceph.svc:8080",
      region: "default",
    });
    expect(config.get("profile app")?.get("credential_process")).toMatch(/^\/bin\/cat \/var\/run\/secrets\/airflow-vault\/app\.json$/);
    // Same keys as the fixture's profile, which botocore's ProcessProvider reads.
    for (const key of fixture.get("default")?.keys() ?? []) expect(config.get("profile rgw")?.has(key)).toBe(true);
  });

  it("aws/credentials: an INI snapshot shaped like the fixture, one section per credential", () => {
    const fixture = ini(readFixture("airflow/synthesized/aws-shared-credentials.ini"));
    const creds = ini(renderAwsSharedCredentials(published));
    expect([...creds.keys()]).toEqual(["rgw", "app"]);
    expect([...(creds.get("rgw")?.keys() ?? [])]).toEqual([...(fixture.get("default")?.keys() ?? [])]);
    expect(creds.get("app")?.has("aws_session_token")).toBe(false);
    expect(creds.get("app")?.get("aws_secret_access_key")).toBe("it's $secret");
  });

  it("<name>.env sources in a POSIX shell, quoting only what needs it", async () => {
    const { execFileSync } = await import("node:child_process");
    const env = renderEnvFile(published[1] as PublishedCredential);
    expect(env).toContain("AWS_ACCESS_KEY_ID=AKIASTATIC\n");
    expect(env).not.toContain("AWS_SESSION_TOKEN");
    const dir = mkdtempSync(join(tmpdir(), "avi-env-"));
    try {
      writeFileSync(join(dir, "a.env"), env + renderEnvFile(published[0] as PublishedCredential).replace(/^AWS_/gm, "RGW_"));
      const out = execFileSync("/bin/sh", ["-c", `set -a; . ${join(dir, "a.env")}; printf '%s|%s|%s|%s' "$AWS_SECRET_ACCESS_KEY" "$RGW_SECRET_ACCESS_KEY" "$RGW_SESSION_TOKEN" "$RGW_ENDPOINT_URL_S3"`], { env: {} }).toString();
      expect(out).toBe("it's $secret|wJal/rXUt+nFEMI=|FwoGZXIvYXdzEJr//////////wEaD|http://rgw.ceph.svc:8080");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("airflow/connections.json follows the LocalFilesystemBackend rules the fixture follows", () => {
    const CONNECTION_KEYS = new Set(["conn_id", "conn_type", "description", "host", "login", "password", "schema", "port", "extra", "extra_dejson", "uri"]);
    const validate = (file: Record<string, unknown>): void => {
      for (const [id, value] of Object.entries(file)) {
        if (typeof value === "string") continue;
        const conn = value as Record<string, unknown>;
        for (const key of Object.keys(conn)) expect(CONNECTION_KEYS.has(key), `${id}.${key}`).toBe(true);
        expect("extra" in conn && "extra_dejson" in conn).toBe(false);
        if ("conn_id" in conn) expect(conn["conn_id"]).toBe(id);
        if (typeof conn["extra"] === "object") expect(conn["extra"]).not.toBeNull();
      }
    };
    const fixture = JSON.parse(readFixture("airflow/synthesized/localfs-connections.json")) as Record<string, Record<string, unknown>>;
    validate(fixture);
    const ours = JSON.parse(renderAirflowConnections(published)) as Record<string, Record<string, unknown>>;
    validate(ours);
    expect(Object.keys(ours)).toEqual(["rgw_default"]);
    expect(ours["rgw_default"]).toEqual({
      conn_type: "aws",
      login: "ASIARGW",
      password: "wJal/rXUt+nFEMI=",
      extra: { endpoint_url: "http://rgw.ceph.svc:8080", region_name: "default", aws_session_token: "FwoGZXIvYXdzEJr//////////wEaD" },
    });
    const fixtureExtra = Object.keys((fixture["minio_default"]?.["extra"] ?? {}));
    for (const key of Object.keys(ours["rgw_default"]?.["extra"] as object)) expect(fixtureExtra).toContain(key);
  });

  it("refuses to write a value that would add lines to an INI or env file", () => {
    const bad = specs({ name: "x", path: "aws/sts/x", format: "aws", region: "us-east-1\n[default]" });
    expect(() => renderAwsConfig(bad, "/d")).toThrowError(/credentials\.x\.region contains a line break/);
  });

  it("renders every file docs/agent.md lists, plus status", () => {
    const files = renderOutputFiles([rgw, aws], published, "/d", "{}\n");
    expect([...files.keys()].sort()).toEqual(["airflow/connections.json", "app.env", "app.json", "aws/config", "aws/credentials", "rgw.env", "rgw.json", "status.json"]);
  });
});

describe("writing", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });

  it("writes atomically with the configured mode, subdirectories readable the same way, only when content changed", async () => {
    dir = mkdtempSync(join(tmpdir(), "avi-out-"));
    const out = new OutputDirectory(dir, 0o440);
    const files = renderOutputFiles([rgw], published.slice(0, 1), dir, "{}\n");
    expect(await out.write(files)).toBe(6);
    expect(statSync(join(dir, "rgw.json")).mode & 0o777).toBe(0o440);
    expect(statSync(join(dir, "aws")).mode & 0o777).toBe(0o750);
    expect(await out.write(files)).toBe(0);
    const changed = new Map(files).set("status.json", '{"v":2}\n');
    expect(await out.write(changed)).toBe(1);
    expect(readFileSync(join(dir, "status.json"), "utf8")).toBe('{"v":2}\n');
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("derives directory modes from the file mode", () => {
    expect(directoryMode(0o440).toString(8)).toBe("750");
    expect(directoryMode(0o444).toString(8)).toBe("755");
    expect(directoryMode(0o400).toString(8)).toBe("700");
  });

  it("fails with the path and errno when the directory cannot be written, leaving the old file intact", async () => {
    dir = mkdtempSync(join(tmpdir(), "avi-out-"));
    writeFileSync(join(dir, "aws"), "a file where a directory should be");
    const out = new OutputDirectory(dir, 0o440);
    await expect(out.write(new Map([["aws/config", "x"]]))).rejects.toThrowError(OutputWriteError);
    await expect(out.write(new Map([["aws/config", "x"]]))).rejects.toThrowError(/cannot write .*aws\/config: (ENOTDIR|EEXIST)/);

    writeFileSync(join(dir, "keep.json"), "old");
    await expect(writeFileAtomic(join(dir, "missing", "keep.json"), "new", 0o440)).rejects.toThrowError(/ENOENT/);
    const blocker = join(dir, "dir.json");
    rmSync(blocker, { force: true });
    await import("node:fs/promises").then((fs) => fs.mkdir(blocker));
    await expect(writeFileAtomic(blocker, "new", 0o440)).rejects.toThrowError(/EISDIR|ENOTEMPTY|EEXIST/);
    expect(readFileSync(join(dir, "keep.json"), "utf8")).toBe("old");
    expect(readdirSync(dir).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});
