/**
 * Crash-safe file replacement: a temp file in the same directory (same filesystem, so the rename is
 * atomic), written, chmod'ed (umask-independent), fsync'ed, renamed over the target, then the
 * directory fsync'ed. Readers see the old file or the new one, never a partial one; a failure leaves
 * the old file untouched and removes the temp file.
 */
import { randomBytes } from "node:crypto";
import { open, rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";

export async function writeFileAtomic(path: string, content: string, mode: number): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    const file = await open(tmp, "wx", mode);
    try {
      await file.writeFile(content, "utf8");
      await file.chmod(mode);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  const handle = await open(dir, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
