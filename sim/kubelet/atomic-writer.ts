/**
 * The kubelet's AtomicWriter (pkg/volume/util/atomic_writer.go) for projected, Secret and ConfigMap
 * volumes: each payload goes into a fresh `..<timestamp>.<random>` directory, the `..data` symlink is
 * swapped to it with a rename (atomic), user-visible names are symlinks `name → ..data/name`, and the
 * previous timestamp directory is removed. Readers that re-open the path always see one whole
 * generation, never a partial write.
 */
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

export const DATA_DIR = "..data";
const DATA_TMP = "..data_tmp";

export interface PayloadFile {
  readonly content: string | Buffer;
  readonly mode: number;
}

export interface Ownership {
  readonly uid?: number;
  readonly gid?: number;
}

function timestampPrefix(now: Date): string {
  const p = (n: number, w = 2): string => String(n).padStart(w, "0");
  return `..${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}.`;
}

/** Write a whole payload (`relative path → file`) into `dir` as one atomic generation. */
export function writeAtomically(dir: string, payload: Readonly<Record<string, PayloadFile>>, owner: Ownership = {}, now = new Date()): void {
  const chown = (path: string): void => {
    if (owner.uid !== undefined || owner.gid !== undefined) chownSync(path, owner.uid ?? -1, owner.gid ?? -1);
  };
  const generation = mkdtempSync(join(dir, timestampPrefix(now)));
  chmodSync(generation, 0o755);
  chown(generation);
  for (const [rel, file] of Object.entries(payload)) {
    const target = join(generation, rel);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.content, { mode: file.mode });
    chmodSync(target, file.mode); // not subject to the umask, as the kubelet's explicit chmod
    chown(target);
  }
  const dataLink = join(dir, DATA_DIR);
  const previous = existsSync(dataLink) ? readlinkSync(dataLink) : undefined;
  const tmpLink = join(dir, DATA_TMP);
  rmSync(tmpLink, { force: true });
  symlinkSync(generation.slice(dir.length + 1), tmpLink);
  renameSync(tmpLink, dataLink);
  for (const rel of Object.keys(payload)) {
    const top = rel.split("/")[0]!;
    const visible = join(dir, top);
    let present: boolean;
    try {
      present = lstatSync(visible).isSymbolicLink();
    } catch {
      present = false;
    }
    if (!present) symlinkSync(join(DATA_DIR, top), visible);
  }
  if (previous !== undefined && previous !== generation.slice(dir.length + 1)) rmSync(join(dir, previous), { recursive: true, force: true });
}
