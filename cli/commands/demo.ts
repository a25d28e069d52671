/**
 * `avi demo`: shows what the webhook does to an Airflow KubernetesExecutor worker pod, using the
 * sample pod and settings shipped in examples/. Built as a list of steps so later demos (agent,
 * Vault simulator, S3) can append theirs.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { parseSettingsText, type Settings } from "../../injector/settings.js";
import type { Command } from "../command.js";
import { injectDocument, parseDocuments, type DocumentResult } from "../inject-documents.js";

interface DemoContext {
  root: string;
  settings: Settings;
  print: (text: string) => void;
  injected?: DocumentResult;
}

interface DemoStep {
  title: string;
  run(ctx: DemoContext): void;
}

const steps: DemoStep[] = [
  {
    title: "The input: a KubernetesExecutor worker pod (Airflow 3) asking for credentials",
    run(ctx) {
      ctx.print(
        "examples/ke-worker-pod.yaml carries three annotations:\n" +
          '  airflow-vault.io/inject: "true"                 inject the agent\n' +
          "  airflow-vault.io/credentials: minio-etl         the profile the platform team defined (examples/settings.yaml)\n" +
          '  airflow-vault.io/airflow-connections: "true"    also point Airflow at a connections file\n',
      );
    },
  },
  {
    title: "The decision (what the webhook answers the API server)",
    run(ctx) {
      const text = readFileSync(join(ctx.root, "examples", "ke-worker-pod.yaml"), "utf8");
      const [pod] = parseDocuments(text, "examples/ke-worker-pod.yaml");
      const result = injectDocument(pod, ctx.settings);
      ctx.injected = result;
      const decision = result.decision;
      if (decision?.kind !== "inject") {
        ctx.print(`unexpected: ${decision?.kind === "deny" ? decision.message : "not injected"}\n`);
        return;
      }
      const { plan } = decision;
      ctx.print(
        `mode ${plan.mode}: avi-agent runs as a native sidecar (initContainers, restartPolicy: Always);\n` +
          "the app containers start only after its startupProbe (/ready) passes, i.e. once credentials are written.\n" +
          `credentials: ${plan.credentials.map((c) => `${c.name} ← Vault ${c.path} (${c.format})`).join(", ")}\n` +
          `files in ${ctx.settings.agent.mountPath} (tmpfs), mode ${plan.fileMode.toString(8).padStart(4, "0")} (the pod sets fsGroup)\n` +
          `app containers: ${plan.targets.map((t) => `${t.name} (+${t.env.map((e) => e.name).join(", ")})`).join("; ")}\n` +
          `JSONPatch: ${decision.patch.length} "add" operations:\n` +
          decision.patch.map((op) => `  add ${op.path}`).join("\n") +
          "\n" +
          (decision.warnings.length > 0 ? `warnings: ${decision.warnings.join("; ")}\n` : ""),
      );
    },
  },
  {
    title: "The pod as it is stored (what `avi inject` prints)",
    run(ctx) {
      if (ctx.injected !== undefined) ctx.print(stringify(ctx.injected.document, { lineWidth: 0 }));
      ctx.print(
        "\nTry it yourself:\n" +
          "  node dist/avi.js inject -f examples/ke-worker-pod.yaml --profiles examples/settings.yaml\n" +
          "  node dist/avi.js webhook --help\n",
      );
    },
  },
];

/** The package root (holds examples/), found from this module's location in src or dist/chunks. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "examples"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the airflow-vault-injector checkout (examples/ is missing); run the demo from the repository");
    dir = parent;
  }
}

export const demoCommand: Command = {
  summary: "show an injection into a sample Airflow worker pod",
  run() {
    const root = packageRoot();
    const settings = parseSettingsText(readFileSync(join(root, "examples", "settings.yaml"), "utf8"), "examples/settings.yaml");
    const ctx: DemoContext = { root, settings, print: (t) => process.stdout.write(t) };
    steps.forEach((step, i) => {
      ctx.print(`\n== ${i + 1}. ${step.title}\n\n`);
      step.run(ctx);
    });
    return Promise.resolve(0);
  },
};
