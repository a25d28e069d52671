/**
 * The built `dist/avi.js` (npm run build): the issue's "done when" check — `avi inject` on the
 * Airflow 3 KubernetesExecutor fixture prints a pod the API-server harness accepts — and `avi webhook`
 * as a real process (`avi demo`: test/e2e/demo.test.ts).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { AdmissionHarness } from "../../sim/apiserver/admission/harness.js";
import { createTestCertificateAuthority } from "../../sim/tls/certificate-authority.js";
import { serviceDnsName } from "../../sim/apiserver/admission/webhook-client.js";
import { restrictedViolations } from "../../sim/apiserver/admission/pod-security.js";
import { schemaErrors, validationErrors } from "../../sim/apiserver/admission/pod-validation.js";
import { af3WorkerPod, annotate, type Obj } from "../support/fixtures.js";
import { INJECTED_VOLUMES } from "../support/injection-checks.js";
import { REPO_ROOT } from "../support/repo.js";
import { SERVICE, startWebhookEnv } from "../support/webhook-env.js";

const AVI = join(REPO_ROOT, "dist", "avi.js");
let dir: string;

beforeAll(async () => {
  if (!existsSync(AVI)) throw new Error("dist/avi.js is missing: run `npm run build` first (npm test does)");
  dir = await mkdtemp(join(tmpdir(), "avi-e2e-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("avi inject (built)", () => {
  it("the Airflow 3 worker fixture + inject annotation → a pod the API-server harness accepts", async () => {
    const input = join(dir, "ke-worker-pod.yaml");
    await writeFile(input, stringify(annotate(af3WorkerPod())));
    const result = spawnSync(process.execPath, [AVI, "inject", "-f", input, "--profiles", join(REPO_ROOT, "examples", "settings.yaml")], { encoding: "utf8" });
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const pod = parse(result.stdout) as Obj;

    expect(validationErrors(pod)).toEqual([]);
    expect(schemaErrors(pod)).toEqual([]);
    expect(restrictedViolations(pod, { containers: ["avi-agent"], volumes: INJECTED_VOLUMES })).toEqual([]);

    // Submitted to the API server with our webhook registered: admitted, and the webhook adds nothing.
    const env = await startWebhookEnv();
    try {
      const outcome = await env.harness.admit(pod, { namespace: "airflow" });
      if (!outcome.allowed) throw new Error(outcome.message);
      expect(outcome.rounds[0]?.patch).toBeUndefined();
    } finally {
      await env.close();
    }
  });

  it("a denial exits 1 with the message on stderr", () => {
    // -n only fills in a namespace the object leaves out (it never overrides one, as kubectl).
    const pod = annotate(af3WorkerPod());
    delete (pod["metadata"] as Obj)["namespace"];
    const result = spawnSync(process.execPath, [AVI, "inject", "-f", "-", "--profiles", join(REPO_ROOT, "examples", "settings.yaml"), "-n", "default"], {
      input: JSON.stringify(pod),
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/denied \(403\): airflow-vault.io\/credentials: profile "minio-etl" is not allowed in namespace "default"/);
  });
});

describe("avi webhook (built)", () => {
  it("serves admission over HTTPS on an ephemeral port and exits 0 on SIGTERM", async () => {
    const ca = await createTestCertificateAuthority();
    const serving = await ca.issueServing([serviceDnsName(SERVICE)]);
    await writeFile(join(dir, "tls.crt"), serving.certPem);
    await writeFile(join(dir, "tls.key"), serving.keyPem);
    const child = spawn(
      process.execPath,
      [AVI, "webhook", "--listen", "127.0.0.1:0", "--tls-cert", join(dir, "tls.crt"), "--tls-key", join(dir, "tls.key"), "--drain-delay", "0"],
      { env: { ...process.env, AVI_WEBHOOK_SETTINGS: join(REPO_ROOT, "examples", "settings.yaml") }, stdio: ["ignore", "pipe", "pipe"] },
    );
    const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
    try {
      const port = await new Promise<number>((resolve, reject) => {
        const lines = createInterface({ input: child.stdout });
        lines.on("line", (line) => {
          const entry = JSON.parse(line) as { msg?: string; port?: number };
          if (entry.msg === "webhook listening" && entry.port !== undefined) resolve(entry.port);
        });
        child.on("exit", (code) => reject(new Error(`avi webhook exited early (${String(code)})`)));
      });
      const harness = new AdmissionHarness({ endpoint: { service: SERVICE, caBundle: ca.caPem, dial: { host: "127.0.0.1", port } }, reinvocationPolicy: "IfNeeded" });
      try {
        const outcome = await harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
        if (!outcome.allowed) throw new Error(outcome.message);
        expect(outcome.rounds.map((r) => r.patch !== undefined)).toEqual([true, false]);
      } finally {
        harness.close();
      }
    } finally {
      child.kill("SIGTERM");
    }
    expect(await exited).toBe(0);
  });
});

describe("avi webhook start-up errors (built)", () => {
  it("a missing TLS file is a one-line error and exit 1", () => {
    const result = spawnSync(process.execPath, [AVI, "webhook", "--tls-cert", join(dir, "nope.crt"), "--tls-key", join(dir, "nope.key"), "--settings", join(REPO_ROOT, "examples", "settings.yaml")], {
      encoding: "utf8",
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^avi: cannot read TLS file .*nope.crt: ENOENT.*; .*nope.key: ENOENT/);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });
});
