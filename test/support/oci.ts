/**
 * A real OCI build and runtime for tests: Debian's buildah and podman (runtime runc). Images and
 * containers a test creates are removed by ID; an image that existed before the test (e.g. from
 * `npm run image`) only loses the test's tag.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";

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
