/**
 * The product bundle (dist/avi.js, its chunks and commands/agent.js — what the image ships) holds the
 * product only: esbuild's metafile lists every source file that went into each output, and none of the
 * product's comes from sim/ or test/, nor from a dependency only the simulators use. The dev CLI
 * (dist/avi-dev.js) carries the demo and the simulators.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// @ts-expect-error -- plain ESM build script without types
import { buildAll } from "../../scripts/build.mjs";

interface Metafile {
  inputs: Record<string, unknown>;
  outputs: Record<string, { inputs: Record<string, unknown>; imports: { path: string; external?: boolean }[] }>;
}
interface Metafiles {
  product: Metafile;
  agent: Metafile;
  dev: Metafile;
}

let dir: string;
let meta: Metafiles;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "avi-bundle-"));
  meta = (await buildAll(join(dir, "dist"))) as Metafiles;
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const ownSources = (m: Metafile): string[] => Object.keys(m.inputs).filter((p) => !p.includes("node_modules/"));
const packages = (m: Metafile): Set<string> =>
  new Set(
    Object.keys(m.inputs)
      .filter((p) => p.includes("node_modules/"))
      .map((p) => {
        const parts = p.split("node_modules/").pop()!.split("/");
        return parts[0]!.startsWith("@") ? `${parts[0]}/${parts[1]}` : parts[0]!;
      }),
  );

describe("product bundle", () => {
  it("takes no source from sim/ or test/, and no demo or simulator command", () => {
    const sources = [...ownSources(meta.product), ...ownSources(meta.agent)];
    expect(sources.length).toBeGreaterThan(20);
    expect(sources.filter((p) => /^(sim|test|bench)\//.test(p))).toEqual([]);
    expect(sources.filter((p) => /^cli\/(commands\/(demo|sim|sim-vault)\.ts|demo\/|dev-main\.ts)/.test(p))).toEqual([]);
    expect(sources).toContain("cli/commands/webhook.ts");
    expect(sources).toContain("agent/start-agent.ts");
  });

  it("writes its outputs only to avi.js, chunks/ and commands/", () => {
    const outputs = [...Object.keys(meta.product.outputs), ...Object.keys(meta.agent.outputs)].map((p) => p.replace(/^.*\/dist\//, ""));
    expect(outputs.filter((p) => !/^(avi\.js|chunks\/|commands\/agent\.js)/.test(p))).toEqual([]);
  });

  it("uses no simulator-only dependency (those are devDependencies)", () => {
    const used = new Set([...packages(meta.product), ...packages(meta.agent)]);
    expect(used.has("@aws-sdk/client-sts")).toBe(false);
    expect(used.has("fastify")).toBe(true);
  });
});

describe("Node's deprecated punycode built-in (DEP0040 on stderr would break the webhook's JSON-only log)", () => {
  it("is not imported by any bundle: tr46's require gets the npm package", () => {
    for (const m of [meta.product, meta.agent, meta.dev]) {
      const builtins = Object.values(m.outputs).flatMap((o) => o.imports.filter((i) => i.external === true && /^(node:)?punycode$/.test(i.path)));
      expect(builtins).toEqual([]);
    }
  });

  it("prints no deprecation warning when the webhook command loads", () => {
    // --pending-deprecation makes Node 20 warn as Node 22+ does by default.
    const run = spawnSync(process.execPath, ["--pending-deprecation", join(dir, "dist", "avi.js"), "webhook", "--help"], { encoding: "utf8", timeout: 30_000 });
    expect(run.status).toBe(0);
    expect(run.stderr).not.toMatch(/DeprecationWarning|DEP0040/);
  });
});

describe("dev bundle (dist/avi-dev.js)", () => {
  it("carries the demo and the simulators", () => {
    const sources = ownSources(meta.dev);
    expect(sources).toContain("cli/commands/demo.ts");
    expect(sources).toContain("sim/vault/server/vault-sim.ts");
    expect(Object.keys(meta.dev.outputs).every((p) => /\/dist\/(avi-dev\.js|dev-chunks\/)/.test(p))).toBe(true);
  });
});
