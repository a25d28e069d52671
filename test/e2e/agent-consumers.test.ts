/**
 * Real consumers against the real agent process (`dist/avi.js agent`) and sim/vault in real time:
 * boto3 (Debian python3-boto3, /usr/bin/python3) in one long-lived session through the container
 * endpoint, awscli (Debian, /usr/bin/aws) through the aws/config credential_process profile, and
 * @aws-sdk/client-s3 on its default chain in one long-lived process. Each must see new credentials
 * across ≥ 2 rotations without restarting (botocore `credentials.py`
 * RefreshableCredentials, @aws-sdk/credential-provider-node). Then SIGTERM: exit 0,
 * leases and token revoked, and no secret in the agent's output.
 *
 * The credentials live 4 minutes and rotate every 3 s (`refreshInterval`): with less than 5 minutes
 * left, botocore and the JS SDK refresh on every call, so rotations show within seconds.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AVI_BIN, cleanEnv, run, startAgentProcess, type AgentProcess, type AgentStatus } from "../support/agent-process.js";
import { REPO_ROOT } from "../support/repo.js";
import { DEBIAN_PYTHON, itWithTools } from "../support/tools.js";
import { STAGE_POD, stageAgentConfig, startVaultStage, type VaultStage } from "../support/vault-stage.js";

const PYTHON = DEBIAN_PYTHON;
const AWS = "/usr/bin/aws";

let stage: VaultStage;
let agent: AgentProcess;
let status: AgentStatus;
let home: string;
let endpointToken: string;

interface Seen {
  readonly ak: string;
  readonly sk: string;
  readonly exp: string | null;
}

function parseLines(stdout: string): Seen[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith('{"ak"'))
    .map((l) => JSON.parse(l) as Seen);
}

beforeAll(async () => {
  expect(readFileSync(AVI_BIN, "utf8")).toMatch(/^#!/);
  stage = await startVaultStage({ stsTtl: "240s" });
  home = mkdtempSync(join(tmpdir(), "avi-home-"));
  const config = stageAgentConfig(stage, [{ name: "etl", path: "aws/sts/etl", format: "aws", endpoint: "http://rgw.test:8080", region: "us-east-1", refreshInterval: "3s" }], {
    context: { namespace: STAGE_POD.namespace, serviceAccount: STAGE_POD.serviceAccount, dagId: "consumers", taskId: "read" },
  });
  agent = startAgentProcess(config, cleanEnv(home, { AVI_POD_NAME: STAGE_POD.podName, AVI_POD_NAMESPACE: STAGE_POD.namespace }), stage.outputDir);
  status = await agent.ready();
  endpointToken = readFileSync(join(stage.outputDir, "endpoint-token"), "utf8");
}, 60_000);

afterAll(async () => {
  await agent?.stop("SIGKILL");
  await stage?.stop();
  rmSync(home, { recursive: true, force: true });
});

function endpointEnv(): Record<string, string> {
  return {
    AWS_CONTAINER_CREDENTIALS_FULL_URI: `${status.endpoint?.url ?? ""}etl`,
    AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: join(stage.outputDir, "endpoint-token"),
    AWS_REGION: "us-east-1",
  };
}

describe("real consumers of the running agent", () => {
  itWithTools(["boto3"], "boto3: one long-lived session picks up every rotation from the container endpoint", async () => {
    // Debian bookworm's botocore (1.29) predates AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (botocore ≥ 1.32),
    // so it gets the same token inline; newer botocore reads the file (see docs/agent.md).
    const env = cleanEnv(home, { ...endpointEnv(), AWS_CONTAINER_AUTHORIZATION_TOKEN: endpointToken });
    const result = await run(PYTHON, [join(REPO_ROOT, "test/e2e/consumers/boto3_consumer.py"), "12", "1"], env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"method": "container-role"');
    const seen = parseLines(result.stdout);
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((s) => s.ak)).size).toBeGreaterThanOrEqual(3);
    expect(seen.every((s) => s.ak.startsWith("ASIA") && s.sk.length >= 20)).toBe(true);
  }, 60_000);

  itWithTools(["awscli"], "awscli: each invocation runs the aws/config credential_process profile and gets the current credential", async () => {
    const env = cleanEnv(home, { AWS_CONFIG_FILE: join(stage.outputDir, "aws/config") });
    const keys: string[] = [];
    const onDisk = (): string => (JSON.parse(readFileSync(join(stage.outputDir, "etl.json"), "utf8")) as { AccessKeyId: string }).AccessKeyId;
    for (let i = 0; i < 3; i++) {
      const before = onDisk();
      const result = await run(AWS, ["configure", "export-credentials", "--profile", "etl", "--format", "process"], env);
      const after = onDisk();
      expect(result.stderr).toBe("");
      expect(result.code).toBe(0);
      const doc = JSON.parse(result.stdout) as { Version: number; AccessKeyId: string; SessionToken: string; Expiration: string };
      expect(doc.Version).toBe(1);
      expect(doc.SessionToken.length).toBeGreaterThan(20);
      expect(Date.parse(doc.Expiration)).toBeGreaterThan(Date.now());
      keys.push(doc.AccessKeyId);
      // What `/bin/cat <dir>/etl.json` printed while the CLI ran: the file before or after a rotation.
      expect([before, after]).toContain(doc.AccessKeyId);
      await new Promise((r) => setTimeout(r, 3_500));
    }
    expect(new Set(keys).size).toBe(3);
  }, 60_000);

  it("@aws-sdk/client-s3: the default chain in one long-lived process picks up every rotation", async () => {
    const env = cleanEnv(home, endpointEnv());
    const result = await run(process.execPath, [join(REPO_ROOT, "test/e2e/consumers/js-consumer.mjs"), "12", "1"], env);
    // The SDK warns on Node 20 that its support ends; anything else on stderr is a failure.
    const stderr = result.stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?to show where the warning was created\)\n?/, "");
    expect(stderr).toBe("");
    expect(result.code).toBe(0);
    const seen = parseLines(result.stdout);
    expect(seen).toHaveLength(12);
    expect(new Set(seen.map((s) => s.ak)).size).toBeGreaterThanOrEqual(3);
    expect(seen.every((s) => s.exp !== null && Date.parse(s.exp) > Date.now() - 60_000)).toBe(true);
  }, 60_000);

  it("SIGTERM: exits 0 after revoking its leases and token; nothing secret in its output", async () => {
    const served = JSON.parse(readFileSync(join(stage.outputDir, "etl.json"), "utf8")) as { SecretAccessKey: string; SessionToken: string };
    const code = await agent.stop("SIGTERM");
    expect(code).toBe(0);
    await stage.vault.controls.settled();
    expect(stage.vault.controls.leases().filter((l) => l.kind === "secret")).toEqual([]);
    expect(stage.vault.controls.tokens().filter((t) => t.path.startsWith("auth/kubernetes"))).toEqual([]);
    const output = agent.output.join("\n");
    expect(output).toMatch(/"msg":"rotated credential"/);
    expect(output).toMatch(/"msg":"stopped"/);
    expect(output).not.toMatch(/hvs\.[A-Za-z0-9_-]{20,}/);
    for (const secret of [served.SecretAccessKey, served.SessionToken, endpointToken, readFileSync(stage.tokenFile, "utf8")]) expect(output).not.toContain(secret);
  }, 30_000);
});
