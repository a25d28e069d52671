// Bundles the `avi` command into dist/: one entry (dist/avi.js) plus lazily loaded chunks, so
// `avi agent` never parses the webhook's or the simulators' code (start time and private memory
// are per-pod costs for the agent).
import { build } from "esbuild";
import { chmod, readFile, rm } from "node:fs/promises";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));

await rm(new URL("../dist", import.meta.url), { recursive: true, force: true });
await build({
  entryPoints: { avi: "cli/main.ts" },
  outdir: "dist",
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  sourcemap: "linked",
  legalComments: "none",
  minifySyntax: true,
  chunkNames: "chunks/[name]-[hash]",
  define: { __AVI_VERSION__: JSON.stringify(pkg.version) },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: [
      "#!/usr/bin/env node",
      'import { createRequire as __aviCreateRequire } from "node:module";',
      "const require = __aviCreateRequire(import.meta.url);",
    ].join("\n"),
  },
  logLevel: "warning",
});
await chmod(new URL("../dist/avi.js", import.meta.url), 0o755);
