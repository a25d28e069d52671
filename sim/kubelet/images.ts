/**
 * Images → local commands. A container runs `command` (else the image's entrypoint) followed by
 * `args` (else the image's default cmd), as Kubernetes combines them with an image; an entry with
 * `replace` stands in for an image we cannot run (e.g. Airflow) and ignores the container's command.
 */
import { posix, relative } from "node:path";

export interface ImageEntry {
  /** The image's ENTRYPOINT (may be empty: the container's command runs from the host's PATH). */
  readonly entrypoint?: readonly string[];
  /** The image's CMD. */
  readonly cmd?: readonly string[];
  /** Run this instead of whatever the container specifies (its env still applies). */
  readonly replace?: readonly string[];
  /** The image's ENV (the container's env overrides it). Default: PATH of this process. */
  readonly env?: Readonly<Record<string, string>>;
  /** The image's WORKDIR (default `/`). */
  readonly workingDir?: string;
  /** A real OCI image (ID or reference) run by podman when the kubelet's isolation is `oci`. */
  readonly oci?: string;
  /** Host files the image "contains": bound read-only into the container (see ImageLayer). */
  readonly layers?: readonly ImageLayer[];
}

/**
 * A host file or directory that appears at `target` inside the container, read-only, as an image's
 * files would. Binding the repository (and Node) at a fixed path keeps what a container runs readable
 * by its non-root user wherever the checkout lives (CI clones into a private temp dir, mode 0700,
 * which uid 65532 or 50000 cannot traverse).
 */
export interface ImageLayer {
  readonly source: string;
  readonly target: string;
}

/** Where the repository appears inside containers (see repoLayer / inRepo). */
export const REPO_IN_CONTAINER = "/opt/avi";
/** Where this process's Node binary appears inside containers. */
export const NODE_IN_CONTAINER = "/opt/avi-node/bin/node";

export function repoLayer(repoRoot: string): ImageLayer {
  return { source: repoRoot, target: REPO_IN_CONTAINER };
}

export function nodeLayer(nodeBinary: string = process.execPath): ImageLayer {
  return { source: nodeBinary, target: NODE_IN_CONTAINER };
}

/** A path of the repository (absolute on the host, or relative to the repository) as containers see it. */
export function inRepo(repoRoot: string, path: string): string {
  const rel = path.startsWith("/") ? relative(repoRoot, path) : path;
  if (rel.startsWith("..")) throw new Error(`${path} is not inside the repository ${repoRoot}`);
  return posix.join(REPO_IN_CONTAINER, rel);
}

/** Image reference (exact) or repository (reference without `:tag`/`@digest`) → entry. */
export type ImageTable = Readonly<Record<string, ImageEntry>>;

export class ImageNotFoundError extends Error {
  override readonly name = "ImageNotFoundError";
}

function repository(ref: string): string {
  const noDigest = ref.split("@")[0]!;
  const slash = noDigest.lastIndexOf("/");
  const colon = noDigest.lastIndexOf(":");
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function resolveImage(table: ImageTable, image: string): ImageEntry {
  const entry = table[image] ?? table[repository(image)];
  if (entry === undefined) {
    throw new ImageNotFoundError(`ErrImagePull: image ${JSON.stringify(image)} is not in the kubelet simulator's image table (known: ${Object.keys(table).join(", ") || "none"}); add it to \`images\``);
  }
  return entry;
}

/** The argv a container runs (before path rewriting): Kubernetes' command/args rules. */
export function containerArgv(entry: ImageEntry, spec: { command?: readonly string[] | undefined; args?: readonly string[] | undefined }): string[] {
  if (entry.replace !== undefined) return [...entry.replace];
  const argv = spec.command !== undefined ? [...spec.command, ...(spec.args ?? [])] : [...(entry.entrypoint ?? []), ...(spec.args ?? entry.cmd ?? [])];
  if (argv.length === 0) throw new ImageNotFoundError("the container has no command and its image no entrypoint");
  return argv;
}

/** The `avi` image: `node <repo>/dist/avi.js` (NODE_OPTIONS comes from the container's env). */
export function aviImage(repoRoot: string, nodeBinary: string = process.execPath): ImageEntry {
  return { entrypoint: [NODE_IN_CONTAINER, inRepo(repoRoot, "dist/avi.js")], layers: [repoLayer(repoRoot), nodeLayer(nodeBinary)] };
}

/** An image whose commands are the host's (`sh`, `cat` …), e.g. `alpine` or `busybox`. */
export const HOST_SHELL_IMAGE: ImageEntry = { entrypoint: [] };
