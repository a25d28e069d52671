import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments, stringify } from "yaml";
import { runInject } from "../../cli/commands/inject.js";
import { UsageError } from "../../cli/command.js";
import { af3WorkerPod, annotate, celeryWorkerDeployment, multiDocument, type Obj } from "../support/fixtures.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";

let dir: string;
let settingsFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "avi-inject-"));
  settingsFile = join(dir, "settings.yaml");
  await writeFile(settingsFile, stringify(TEST_SETTINGS));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function run(args: string[], stdin = ""): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const code = await runInject(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), readStdin: () => Promise.resolve(stdin), env: {} });
  return { code, stdout, stderr };
}

async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === "string" ? content : stringify(content));
  return path;
}

const initNames = (pod: Obj): unknown[] => (((pod["spec"] as Obj)["initContainers"] as Obj[] | undefined) ?? []).map((c) => c["name"]);

describe("avi inject", () => {
  it("prints the injected pod (YAML)", async () => {
    const { code, stdout, stderr } = await run(["-f", await file("pod.yaml", annotate(af3WorkerPod())), "--profiles", settingsFile]);
    expect(code).toBe(0);
    expect(stderr).toBe("");
    const pod = parse(stdout) as Obj;
    expect(initNames(pod)).toEqual(["avi-agent"]);
    expect(((pod["metadata"] as Obj)["annotations"] as Obj)["airflow-vault.io/status"]).toBe("injected");
  });

  it("reads stdin, writes JSON, honours --namespace for policy", async () => {
    const input = JSON.stringify(annotate(af3WorkerPod()));
    const ok = await run(["-f", "-", "--settings", settingsFile, "-o", "json"], input);
    expect(initNames(JSON.parse(ok.stdout) as Obj)).toEqual(["avi-agent"]);
    // -n fills in a namespace the object does not set (one it sets is never overridden: test/cli/messages.test.ts).
    const pod = annotate(af3WorkerPod());
    delete (pod["metadata"] as Obj)["namespace"];
    const denied = await run(["-f", "-", "-p", settingsFile, "-n", "payments"], JSON.stringify(pod));
    expect(denied.code).toBe(1);
    expect(denied.stdout).toBe("");
    expect(denied.stderr).toMatch(/^avi: Pod\/etl-load-s3-k2x9w1qz denied \(403\): airflow-vault.io\/credentials: profile "minio-etl" is not allowed in namespace "payments"/);
  });

  it("injects workload templates (Deployment, Job, CronJob) and passes other kinds through", async () => {
    const deployment = celeryWorkerDeployment();
    const [job] = multiDocument("k8s", "website", "job-sidecar.yaml");
    const jobTemplate = ((job as Obj)["spec"] as Obj)["template"] as Obj;
    const cronJob = { apiVersion: "batch/v1", kind: "CronJob", metadata: { name: "nightly", namespace: "airflow" }, spec: { schedule: "@daily", jobTemplate: { spec: { template: annotate(jobTemplate) } } } };
    const annotatedJob = { ...(job as Obj), metadata: { name: "myjob", namespace: "airflow" }, spec: { ...((job as Obj)["spec"] as Obj), template: annotate(jobTemplate) } };
    const configMap = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "c" }, data: { a: "b" } };
    const input = [deployment, annotatedJob, cronJob, configMap].map((d) => stringify(d)).join("---\n");
    const { code, stdout, stderr } = await run(["-f", await file("multi.yaml", input), "-p", settingsFile]);
    expect(code).toBe(0);
    expect(stderr).toBe("avi: ConfigMap/c: ConfigMap has no pod template; passed through\n");
    const docs = (parseAllDocuments(stdout) as { toJS(): Obj }[]).map((d) => d.toJS());
    expect(initNames(((docs[0]?.["spec"] as Obj)["template"]) as Obj)).toEqual(["wait-for-airflow-migrations", "avi-agent"]);
    expect(initNames(((docs[1]?.["spec"] as Obj)["template"]) as Obj)).toEqual(["logshipper", "avi-agent"]);
    const cron = (((docs[2]?.["spec"] as Obj)["jobTemplate"] as Obj)["spec"] as Obj)["template"] as Obj;
    expect(initNames(cron)).toEqual(["logshipper", "avi-agent"]);
    expect(docs[3]).toEqual(configMap);
  });

  it("pods without the annotation are printed unchanged, with a note", async () => {
    const pod = af3WorkerPod();
    const { code, stdout, stderr } = await run(["-f", await file("plain.yaml", pod), "-p", settingsFile]);
    expect(code).toBe(0);
    expect(parse(stdout)).toEqual(pod);
    expect(stderr).toBe("avi: Pod/etl-load-s3-k2x9w1qz not injected: no airflow-vault.io/inject annotation\n");
  });

  it("warnings go to stderr", async () => {
    const pod = annotate(af3WorkerPod());
    (((pod["spec"] as Obj)["containers"] as Obj[])[0] as Obj)["env"] = [{ name: "AWS_SECRET_ACCESS_KEY", value: "x" }];
    const { code, stderr } = await run(["-f", await file("warn.yaml", pod), "-p", settingsFile]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/^Warning: Pod\/etl-load-s3-k2x9w1qz: container "base" sets AWS_SECRET_ACCESS_KEY/);
  });

  it("usage errors name the problem", async () => {
    await expect(run([])).rejects.toThrowError(UsageError);
    await expect(run(["-f", "x.yaml"])).rejects.toThrowError(/--profiles FILE is required/);
    await expect(run(["-f", "x.yaml", "-p", settingsFile, "-o", "table"])).rejects.toThrowError(/-o must be yaml or json/);
    await expect(run(["-f", join(dir, "missing.yaml"), "-p", settingsFile])).rejects.toThrowError(/cannot read input file .*missing.yaml: ENOENT/);
    await expect(run(["-f", await file("bad.yaml", "a: [\n"), "-p", settingsFile])).rejects.toThrowError(/bad.yaml: /);
    await expect(run(["-f", "x.yaml", "-p", await file("bad-settings.yaml", "vault: {}\n")])).rejects.toThrowError(/bad-settings.yaml is invalid/);
    await expect(run(["--bogus"])).rejects.toThrowError(/Unknown option '--bogus'/);
  });
});
