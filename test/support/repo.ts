/**
 * Paths inside this repository: its root, and the real-world inputs under test/fixtures/ (each file's
 * upstream origin and version is in test/fixtures/SOURCES.md). Tests read nothing outside the repository.
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const REPO_ROOT: string = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export const FIXTURES_DIR: string = join(REPO_ROOT, "test", "fixtures");

/** A path under test/fixtures/, e.g. `fixturePath("k8s", "istio", "x.yaml")`. */
export function fixturePath(...parts: string[]): string {
  return join(FIXTURES_DIR, ...parts);
}

export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), "utf8");
}
