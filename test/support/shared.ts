/**
 * Locates the team's shared directory (reference docs and real-world fixtures): $AVI_SHARED_DIR, then
 * `<repo>/../shared` (main checkout), then /work/shared (worktrees and CI clones).
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

function locate(): string {
  const candidates = [process.env["AVI_SHARED_DIR"], join(repoRoot, "..", "shared"), "/work/shared"];
  for (const dir of candidates) {
    if (dir !== undefined && dir !== "" && existsSync(join(dir, "fixtures"))) return dir;
  }
  throw new Error(`shared directory not found (tried ${candidates.filter(Boolean).join(", ")}); set AVI_SHARED_DIR`);
}

export const sharedDir: string = locate();

export function sharedPath(...parts: string[]): string {
  return join(sharedDir, ...parts);
}

export function readShared(...parts: string[]): string {
  return readFileSync(sharedPath(...parts), "utf8");
}

export const REPO_ROOT = repoRoot;
