// Bundles the product CLI into dist/ (dist/avi.js plus lazily loaded chunks, what the image ships) and
// the dev CLI (dist/avi-dev.js: demo and simulators, checkout only). Product chunks are loaded lazily so
// `avi agent` never parses the webhook's or the simulators' code (start time and private memory
// are per-pod costs for the agent).
//
// The agent command is bundled on its own (dist/commands/agent.js, no chunks shared with other
// commands): code splitting would otherwise put modules that other commands also use into shared
// chunks, and a library namespace materialised by one command (e.g. `import { z } from "zod"`
// pulls every zod locale) would be loaded by the agent in every task pod.
import { build } from "esbuild";
import { chmod, readFile, rm } from "node:fs/promises";
import { createRequire, isBuiltin } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const pkg = JSON.parse(await readFile(new URL("../package.json", import.meta.url), "utf8"));

const AGENT_COMMAND = "./commands/agent.js";

// node-vault requires axios at load time but never calls it when given a transport
// (`request-promise`), which the agent always does (agent/vault-transport.ts). Bundling axios and its
// dependencies (form-data, mime-db, follow-redirects, proxy agents) would cost every agent ~0.5 MB of
// source to compile and ~4 MiB of private memory.
const axiosUnused = {
  name: "node-vault-without-axios",
  setup(b) {
    b.onResolve({ filter: /^axios$/ }, (args) => (args.importer.includes("node-vault") ? { path: fileURLToPath(new URL("./axios-unused.mjs", import.meta.url)) } : undefined));
  },
};

// node-vault's `debug` logging and pino's worker-thread transport are never used by the agent.
const unusedInAgent = {
  name: "unused-in-agent",
  setup(b) {
    const stub = { path: fileURLToPath(new URL("./unused-in-agent.cjs", import.meta.url)) };
    b.onResolve({ filter: /^debug$/ }, (args) => (args.importer.includes("node-vault") ? stub : undefined));
    b.onResolve({ filter: /^thread-stream$/ }, (args) => (args.importer.includes("pino") ? stub : undefined));
  },
};

// Node built-ins are taken with require() in the agent bundle, not `import`: the ESM facade of a
// built-in reads every export, so `import … from "node:http"` loads undici (http's lazy WebSocket)
// and "node:crypto" loads WebCrypto, at every agent start.
const builtinsByRequire = {
  name: "builtins-by-require",
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:]+$/ }, (args) => (args.kind === "import-statement" && isBuiltin(args.path) ? { path: args.path, namespace: "builtin" } : undefined));
    b.onLoad({ filter: /.*/, namespace: "builtin" }, (args) => ({ contents: `module.exports = require(${JSON.stringify(args.path)});`, loader: "js" }));
  },
};

// tr46 0.0.3 (@kubernetes/client-node → node-fetch 2 → whatwg-url 5) requires Node's deprecated `punycode`
// built-in; Node 22+ then prints DEP0040 on stderr, which must carry only the webhook's JSON log lines.
// The npm package `punycode` is the same code as the built-in, without the warning.
const userlandPunycode = {
  name: "userland-punycode",
  setup(b) {
    const path = createRequire(import.meta.url).resolve("punycode/punycode.js");
    b.onResolve({ filter: /^(node:)?punycode$/ }, () => ({ path }));
  },
};

const common = {
  absWorkingDir: fileURLToPath(new URL("..", import.meta.url)),
  bundle: true,
  format: "esm",
  platform: "node",
  target: "node20.19",
  sourcemap: "linked",
  legalComments: "none",
  minifySyntax: true,
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
};

/**
 * Builds the product CLI (`avi.js`, its chunks under `chunks/`, `commands/agent.js`) and the dev CLI
 * (`avi-dev.js`: the product's commands plus demo and simulators, chunks under `dev-chunks/`) into
 * `outdir` (`dev: false`: the product only, as the image needs). Returns the esbuild metafiles so callers (tests, the image build) can see what went where.
 */
export async function buildAll(outdir, { dev: withDev = true } = {}) {
  await rm(outdir, { recursive: true, force: true });
  // Resolved at run time next to the entry: the separately built agent bundle below.
  const agentApart = { name: "agent-apart", setup: (b) => b.onResolve({ filter: /^\.\/commands\/agent\.js$/ }, () => ({ path: AGENT_COMMAND, external: true })) };
  const product = await build({
    ...common,
    entryPoints: { avi: "cli/main.ts" },
    outdir,
    splitting: true,
    metafile: true,
    chunkNames: "chunks/[name]-[hash]",
    plugins: [userlandPunycode, agentApart],
  });
  const agent = await build({
    ...common,
    entryPoints: { "commands/agent": "cli/commands/agent.ts" },
    outdir,
    metafile: true,
    plugins: [userlandPunycode, axiosUnused, unusedInAgent, builtinsByRequire],
  });
  const dev = withDev
    ? await build({
        ...common,
        entryPoints: { "avi-dev": "cli/dev-main.ts" },
        outdir,
        splitting: true,
        metafile: true,
        chunkNames: "dev-chunks/[name]-[hash]",
        plugins: [userlandPunycode, agentApart],
      })
    : undefined;
  await chmod(join(outdir, "avi.js"), 0o755);
  if (dev) await chmod(join(outdir, "avi-dev.js"), 0o755);
  return { product: product.metafile, agent: agent.metafile, dev: dev?.metafile };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await buildAll(fileURLToPath(new URL("../dist", import.meta.url)));
}
