/**
 * The built `avi webhook` with its cluster features, as the chart starts it (self-issued TLS, drift
 * report, namespace labels), against the kube-apiserver simulator through a kubeconfig: it creates the
 * TLS Secret, fills the caBundle, serves admission requests verified against that caBundle, reports a
 * bypassed pod — all through the bundled @kubernetes/client-node.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { startApiServerSim } from "../../sim/apiserver/index.js";
import { af3WorkerPod, annotate } from "../support/fixtures.js";
import { EVENTS, MWC, NAMESPACES, NAMESPACE, PODS, SECRETS, TLS_SECRET, WEBHOOK_CONFIGURATION, WEBHOOK_GRANTS, WEBHOOK_USER, webhookConfiguration } from "../support/cluster-env.js";
import { REPO_ROOT } from "../support/repo.js";
import { SERVICE, TEST_SETTINGS } from "../support/webhook-env.js";

const AVI = join(REPO_ROOT, "dist", "avi.js");

it("self-issued TLS, drift report and namespace labels work in the built webhook", async () => {
  if (!existsSync(AVI)) throw new Error("dist/avi.js is missing: run `npm run build` first (npm test does)");
  const dir = await mkdtemp(join(tmpdir(), "avi-e2e-cluster-"));
  const sim = await startApiServerSim();
  const child = { proc: undefined as ReturnType<typeof spawn> | undefined };
  try {
    sim.rest.store.create(NAMESPACES, undefined, { metadata: { name: NAMESPACE } });
    sim.rest.store.create(NAMESPACES, undefined, { metadata: { name: "airflow", labels: { "istio-injection": "enabled" } } });
    sim.rest.store.create(MWC, undefined, webhookConfiguration());
    const kubeconfig = join(dir, "kubeconfig");
    await writeFile(kubeconfig, sim.rest.kubeconfig(sim.rest.addUser(WEBHOOK_USER, WEBHOOK_GRANTS)));
    const settings = join(dir, "settings.yaml");
    await writeFile(settings, stringify(TEST_SETTINGS));
    const proc = spawn(
      process.execPath,
      [AVI, "webhook", "--listen=127.0.0.1:0", `--settings=${settings}`, `--tls-secret=${TLS_SECRET}`, `--webhook-configuration=${WEBHOOK_CONFIGURATION}`, `--service=${SERVICE.name}`, `--namespace=${NAMESPACE}`, "--drift-report", "--namespace-labels", `--kubeconfig=${kubeconfig}`, "--drain-delay=0s"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    child.proc = proc;
    let stderr = "";
    proc.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    const lines: Record<string, unknown>[] = [];
    createInterface({ input: proc.stdout }).on("line", (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
    await vi.waitFor(() => expect(lines.find((l) => l["msg"] === "webhook listening") ?? stderr).toHaveProperty("port"), { timeout: 20_000, interval: 50 });
    const port = lines.find((l) => l["msg"] === "webhook listening")!["port"] as number;

    expect(sim.rest.store.find(SECRETS, NAMESPACE, TLS_SECRET)).toBeDefined();
    const harness = sim.admission({ configuration: WEBHOOK_CONFIGURATION, dial: { host: "127.0.0.1", port } });
    const outcome = await harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
    if (!outcome.allowed) throw new Error(outcome.message);
    // The namespace's istio-injection label was looked up: the Vault port is excluded from capture.
    expect(((outcome.pod["metadata"] as Record<string, unknown>)["annotations"] as Record<string, string>)["traffic.sidecar.istio.io/excludeOutboundPorts"]).toBe("8200");

    sim.rest.store.create(PODS, "airflow", { metadata: { name: "bypassed", annotations: { "airflow-vault.io/inject": "true" } }, spec: { containers: [{ name: "base" }] } });
    await vi.waitFor(() => expect(sim.rest.store.list(EVENTS, "airflow")).toHaveLength(1), { timeout: 10_000, interval: 50 });
    expect(lines.some((l) => l["msg"] === "pod asks for injection but was not injected (webhook bypassed)" && l["pod"] === "bypassed")).toBe(true);
    const hooks = sim.rest.store.get(MWC, undefined, WEBHOOK_CONFIGURATION)["webhooks"] as { clientConfig: { caBundle?: string } }[];
    expect(Buffer.from(hooks[0]!.clientConfig.caBundle ?? "", "base64").toString()).toContain("BEGIN CERTIFICATE");

    proc.kill("SIGTERM");
    const code = await new Promise<number | null>((resolve) => proc.on("exit", resolve));
    expect(code).toBe(0);
  } finally {
    if (child.proc !== undefined && child.proc.exitCode === null) child.proc.kill("SIGKILL");
    await sim.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
