/**
 * Images → local commands. A container runs `command` (else the image's entrypoint) followed by
 * `args` (else the image's default cmd), as Kubernetes combines them with an image; an entry with
 * `replace` stands in for an image we cannot run (e.g. Airflow) and ignores the container's command.
 */
import { join } from "node:path";

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
  return { entrypoint: [nodeBinary, join(repoRoot, "dist", "avi.js")] };
}

/** An image whose commands are the host's (`sh`, `cat` …), e.g. `alpine` or `busybox`. */
export const HOST_SHELL_IMAGE: ImageEntry = { entrypoint: [] };
