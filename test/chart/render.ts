/**
 * Renders charts/airflow-vault-injector like `helm template`, without Helm: the values are merged by a
 * small Go program (test/chart/renderer: Go text/template + Sprig + Helm's extra functions), validated
 * against values.schema.json (JSON Schema draft 7, ajv) — a violation fails before anything renders,
 * as with Helm — and then rendered by the same program. The Go binary is built on demand (GOPATH mode,
 * Debian's golang-github-masterminds-sprig-dev and golang-k8s-sigs-yaml-dev, found by
 * test/support/go-path.ts) into node_modules/.cache and never committed. This is a faithful stand-in,
 * not Helm itself.
 */
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Ajv, type ErrorObject } from "ajv";
import { parseAllDocuments } from "yaml";
import { goPathWith } from "../support/go-path.js";
import { assertTools } from "../support/tools.js";

const run = promisify(execFile);
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
export const CHART_DIR = join(repoRoot, "charts", "airflow-vault-injector");
const RENDERER_SOURCE = join(repoRoot, "test", "chart", "renderer", "main.go");

export interface RenderOptions {
  /** Values layered over the chart's values.yaml, in order (objects are written to temp files). */
  values?: readonly (Record<string, unknown> | string)[];
  /** `--set key=value` strings, applied last. */
  set?: readonly string[];
  releaseName?: string;
  namespace?: string;
  /** Extra `.Capabilities.APIVersions` (e.g. monitoring.coreos.com/v1). */
  apiVersions?: readonly string[];
}

export class ChartValuesError extends Error {
  override readonly name = "ChartValuesError";
}

let building: Promise<string> | undefined;

/** Builds the Go renderer once per source version (cached across runs). */
export function rendererBinary(): Promise<string> {
  building ??= (async () => {
    const source = await readFile(RENDERER_SOURCE);
    const hash = createHash("sha256").update(source).digest("hex").slice(0, 16);
    const cache = join(repoRoot, "node_modules", ".cache", "avi-chart-renderer");
    const binary = join(cache, `renderer-${hash}`);
    if (existsSync(binary)) return binary;
    assertTools("go");
    await mkdir(cache, { recursive: true });
    const partial = `${binary}.${process.pid}.tmp`;
    const goPath = goPathWith(["github.com/Masterminds/sprig", "sigs.k8s.io/yaml"]) ?? "";
    try {
      await run("go", ["build", "-o", partial, RENDERER_SOURCE], {
        env: { ...process.env, GO111MODULE: "off", GOPATH: goPath, GOCACHE: join(cache, "gocache"), GOFLAGS: "" },
      });
    } catch (err) {
      const why = ((err as { stderr?: string }).stderr ?? "").trim() || (err as Error).message;
      throw new Error(`building the chart renderer (go build, GOPATH=${goPath}) failed: ${why}`, { cause: err });
    }
    await rename(partial, binary); // atomic: parallel test files never run a half-written binary
    return binary;
  })();
  return building;
}

let validator: ReturnType<Ajv["compile"]> | undefined;

async function validateValues(values: unknown): Promise<void> {
  if (validator === undefined) {
    const schema = JSON.parse(await readFile(join(CHART_DIR, "values.schema.json"), "utf8")) as Record<string, unknown>;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  if (validator(values)) return;
  // A bad key under propertyNames comes as the key's own error (naming it) plus a generic wrapper; keep the first.
  const lines = (validator.errors ?? []).filter((e) => e.keyword !== "propertyNames").map(describeError);
  // Helm's wording: "values don't meet the specifications of the schema(s) in the following chart(s)".
  throw new ChartValuesError(`values don't meet the specifications of the schema(s) in the following chart(s):\nairflow-vault-injector:\n${[...new Set(lines)].map((l) => `- ${l}`).join("\n")}`);
}

function describeError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "(root)" : e.instancePath.slice(1).replaceAll("/", ".");
  if (e.propertyName !== undefined) return `${where}: key ${JSON.stringify(e.propertyName)} ${e.message ?? "is not allowed"}`;
  if (e.keyword === "additionalProperties") return `${where}: additional property "${String(e.params["additionalProperty"])}" is not allowed`;
  if (e.keyword === "enum") return `${where}: must be one of ${(e.params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return `${where}: ${e.message ?? e.keyword}`;
}

/** The rendered multi-document YAML (what `helm template` prints). */
export async function renderChartText(options: RenderOptions = {}): Promise<string> {
  const binary = await rendererBinary();
  const dir = await mkdtemp(join(tmpdir(), "avi-chart-"));
  try {
    const args = ["--chart", CHART_DIR, "--release-name", options.releaseName ?? "avi", "--namespace", options.namespace ?? "avi-system"];
    for (const api of options.apiVersions ?? []) args.push("--api-versions", api);
    const layers: string[] = [];
    for (const [i, v] of (options.values ?? []).entries()) {
      if (typeof v === "string") layers.push("-f", v);
      else {
        const file = join(dir, `values-${i}.json`);
        await writeFile(file, JSON.stringify(v));
        layers.push("-f", file);
      }
    }
    for (const s of options.set ?? []) layers.push("--set", s);
    const merged = await exec(binary, [...args, ...layers, "--print-values"]);
    const values: unknown = JSON.parse(merged);
    await validateValues(values);
    const valuesFile = join(dir, "merged.json");
    await writeFile(valuesFile, merged);
    return await exec(binary, [...args, "--values-json", valuesFile]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function exec(binary: string, args: string[]): Promise<string> {
  try {
    return (await run(binary, args, { maxBuffer: 16 * 1024 * 1024 })).stdout;
  } catch (err) {
    // The renderer prints Helm's "Error: <message>"; callers add their own prefix.
    const why = ((err as { stderr?: string }).stderr ?? "").trim() || (err as Error).message;
    throw new Error(why.replace(/^Error: /, ""), { cause: err });
  }
}

export interface RenderedObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [key: string]: unknown;
}

/** The rendered objects, parsed (each document's `# Source:` is kept as `source`). */
export async function renderChart(options: RenderOptions = {}): Promise<{ objects: RenderedObject[]; sources: string[]; text: string }> {
  const text = await renderChartText(options);
  const objects: RenderedObject[] = [];
  const sources: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]?.message}`);
    const obj = doc.toJS() as RenderedObject | null;
    if (obj === null) continue;
    objects.push(obj);
    sources.push(/# Source: (\S+)/.exec(String(doc.commentBefore ?? ""))?.[1] ?? /# Source: (\S+)/.exec(doc.toString())?.[1] ?? "");
  }
  return { objects, sources, text };
}
