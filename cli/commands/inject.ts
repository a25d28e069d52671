import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { SettingsError } from "../../injector/settings.js";
import { parseSettingsText } from "../../injector/load-settings.js";
import { UsageError, type Command } from "../command.js";
import { InputError, injectDocument, namespaceConflict, parseDocuments, type DocumentResult } from "../inject-documents.js";

const USAGE = `usage: avi inject -f FILE|- --profiles SETTINGS [--namespace NS] [-o yaml|json]

Prints the objects with credentials injected, exactly as the webhook would mutate them. Accepts Pods
and the pod templates of Deployments, StatefulSets, DaemonSets, ReplicaSets, Jobs and CronJobs.
A denial exits 1 with the reason on stderr.

  -f, --filename FILE    input (YAML or JSON, several documents allowed); "-" reads stdin
  -p, --profiles FILE    the webhook settings file (vault, agent, injection, profiles); env AVI_SETTINGS
      --settings FILE    same as --profiles
  -n, --namespace NS     namespace for objects that set none (default "default"); an object that
                         sets another one is refused, as kubectl does
  -o, --output FORMAT    yaml (default) or json
`;

export interface InjectIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => Promise<string>;
  env: NodeJS.ProcessEnv;
}

const processIo: InjectIo = {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
  readStdin: async () => {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString("utf8");
  },
  env: process.env,
};

export async function runInject(argv: readonly string[], io: InjectIo): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        filename: { type: "string", short: "f" },
        profiles: { type: "string", short: "p" },
        settings: { type: "string" },
        namespace: { type: "string", short: "n" },
        output: { type: "string", short: "o", default: "yaml" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
  }
  if (values.help === true) {
    io.stdout(USAGE);
    return 0;
  }
  if (values.filename === undefined) throw new UsageError(`-f FILE is required ("-" for stdin)\n\n${USAGE}`);
  const settingsFile = values.profiles ?? values.settings ?? io.env["AVI_SETTINGS"];
  if (settingsFile === undefined) throw new UsageError(`--profiles FILE is required: the webhook settings (see examples/settings.yaml)\n\n${USAGE}`);
  if (values.output !== "yaml" && values.output !== "json") throw new UsageError(`-o must be yaml or json, not "${values.output}"`);

  const settingsText = await readText(settingsFile, "settings file");
  let settings;
  try {
    settings = parseSettingsText(settingsText, settingsFile);
  } catch (err) {
    if (err instanceof SettingsError) throw new UsageError(err.message);
    throw err;
  }
  const source = values.filename === "-" ? "<stdin>" : values.filename;
  const input = values.filename === "-" ? await io.readStdin() : await readText(values.filename, "input file");
  let documents;
  try {
    documents = parseDocuments(input, source);
  } catch (err) {
    if (err instanceof InputError) throw new UsageError(err.message);
    throw err;
  }

  const conflict = documents.map((doc) => namespaceConflict(doc, values.namespace)).find((c) => c !== undefined);
  if (conflict !== undefined) throw new UsageError(conflict);
  const results = documents.map((doc) => injectDocument(doc, settings, values.namespace));
  let denied = false;
  for (const result of results) denied = report(result, io) || denied;
  if (denied) return 1;
  const outputs = results.map((r) => r.document);
  if (values.output === "json") {
    const value = outputs.length === 1 ? outputs[0] : { apiVersion: "v1", kind: "List", items: outputs };
    io.stdout(`${JSON.stringify(value, null, 2)}\n`);
  } else {
    io.stdout(outputs.map((o) => stringify(o, { lineWidth: 0 })).join("---\n"));
  }
  return 0;
}

/** Writes warnings/denials for one document to stderr; true when it was denied. */
function report(result: DocumentResult, io: InjectIo): boolean {
  if (result.note !== undefined) io.stderr(`avi: ${result.ref}: ${result.note}\n`);
  const decision = result.decision;
  if (decision === undefined) return false;
  for (const w of decision.warnings) io.stderr(`Warning: ${result.ref}: ${w}\n`);
  if (decision.kind === "deny") {
    io.stderr(`avi: ${result.ref} denied (${decision.code}): ${decision.message}\n`);
    return true;
  }
  if (decision.kind === "skip") io.stderr(`avi: ${result.ref} not injected: ${decision.reason}\n`);
  return false;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read ${what} ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

export const injectCommand: Command = {
  summary: "inject credentials into pod/workload YAML offline (like the webhook)",
  run: (argv) => runInject(argv, processIo),
};
