/**
 * A real OCI build and runtime for tests: Debian's buildah and podman (runtime runc). Images and
 * containers a test creates are removed by ID; an image that existed before the test (e.g. from
 * `npm run image`) only loses the test's tag.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export const OCI_APT_PACKAGES = "podman buildah runc catatonit uidmap slirp4netns fuse-overlayfs";

/** Why a real OCI build/runtime cannot be used here, or undefined when it can. */
export function ociMissingReason(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (podman with runc and cgroup limits, as CI runs)";
  for (const tool of ["podman", "buildah", "runc"]) {
    if (spawnSync(tool, ["--version"], { stdio: "ignore" }).status !== 0) return `${tool} is not installed: sudo apt-get install ${OCI_APT_PACKAGES}`;
  }
  return undefined;
}

export function podman(args: readonly string[], input?: string): string {
  return execFileSync("podman", args, { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"], maxBuffer: 64 << 20 });
}

/** All local image IDs (full sha256 hex). */
export function imageIds(): Set<string> {
  return new Set(podman(["images", "--quiet", "--no-trunc"]).split("\n").map((l) => l.trim().replace(/^sha256:/, "")).filter((l) => l !== ""));
}

/** A tag no other run uses. */
export function testTag(what: string): string {
  return `localhost/avi-test-${what}:${process.pid}-${randomBytes(4).toString("hex")}`;
}

/** Removes what a test created: its tags, and the image itself when it did not exist before. */
export function releaseImage(id: string, tags: readonly string[], before: ReadonlySet<string>): void {
  for (const tag of tags) spawnSync("podman", ["untag", id, tag], { stdio: "ignore" });
  if (!before.has(id)) spawnSync("podman", ["rmi", "--force", id], { stdio: "ignore" });
}

/** The avi image built for a test run (`npm run image`'s recipe), released (by ID) with `release()`. */
export async function buildTestImage(): Promise<{ id: string; release: () => void }> {
  const before = imageIds();
  const tag = testTag("avi");
  // @ts-expect-error -- plain ESM build script without types
  const { buildImage } = (await import("../../scripts/image.mjs")) as { buildImage: (o: { tag: string }) => Promise<string> };
  const id = await buildImage({ tag });
  return { id, release: () => releaseImage(id, [tag], before) };
}

/** The avi image's config as the kubelet sees an image: entrypoint, env, working dir. */
export const AVI_IMAGE_CONFIG = {
  entrypoint: ["/nodejs/bin/node", "/app/dist/avi.js"],
  env: { PATH: "/nodejs/bin:/usr/local/bin:/usr/bin:/bin", NODE_ENV: "production", SSL_CERT_FILE: "/etc/ssl/certs/ca-certificates.crt" },
  workingDir: "/app",
} as const;

/**
 * A task image built the way the avi image is (FROM scratch, `--timestamp 0`): the avi image's base
 * layer, the Debian packages (with their dependency closure, at the versions apt has now: test-only,
 * not pinned) extracted with `dpkg-deb -x`, and `files` copied to their targets.
 */
export async function buildTaskImage(packages: readonly string[], files: readonly { source: string; target: string }[]): Promise<{ id: string; release: () => void }> {
  // @ts-expect-error -- plain ESM build script without types
  const { stageContext } = (await import("../../scripts/image-context.mjs")) as { stageContext: (ctx: string, o: { only: string }) => Promise<void> };
  const before = imageIds();
  const tag = testTag("task");
  const ctx = mkdtempSync(join(tmpdir(), "avi-task-image-"));
  try {
    await stageContext(ctx, { only: "base" });
    const closure = execFileSync("apt-cache", ["depends", "--recurse", "--no-recommends", "--no-suggests", "--no-conflicts", "--no-breaks", "--no-replaces", "--no-enhances", ...packages], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith(" ") && !l.startsWith("<"));
    const debs = join(ctx, ".debs");
    mkdirSync(debs);
    execFileSync("apt-get", ["download", "-q", ...new Set(closure)], { cwd: debs, stdio: "ignore" });
    mkdirSync(join(ctx, "packages"));
    for (const deb of readdirSync(debs).sort()) execFileSync("dpkg-deb", ["-x", join(debs, deb), join(ctx, "packages")]);
    rmSync(debs, { recursive: true });
    for (const f of files) {
      mkdirSync(dirname(join(ctx, "files", f.target)), { recursive: true });
      cpSync(f.source, join(ctx, "files", f.target), { recursive: true });
    }
    mkdirSync(join(ctx, "files"), { recursive: true });
    writeFileSync(join(ctx, "Containerfile"), "FROM scratch\nCOPY base/ /\nCOPY packages/ /\nCOPY files/ /\nUSER 65532:65532\n");
    execFileSync("buildah", ["build", "--quiet", "--timestamp", "0", "--layers=false", "--pull=never", "--iidfile", join(ctx, ".iid"), "--tag", tag, "--file", join(ctx, "Containerfile"), ctx], { stdio: ["ignore", "ignore", "inherit"] });
    const id = readFileSync(join(ctx, ".iid"), "utf8").trim().replace(/^sha256:/, "");
    return { id, release: () => releaseImage(id, [tag], before) };
  } finally {
    rmSync(ctx, { recursive: true, force: true });
  }
}
