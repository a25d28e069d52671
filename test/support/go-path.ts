/**
 * Finds a GOPATH holding given Go packages' sources, for a GOPATH-mode (module-less) `go build` against
 * Debian's golang-*-dev packages. Nothing is hard-coded: the candidates are the user's `go env GOPATH`
 * and the source roots the Debian packages that provide the imports installed (`dpkg-query -L`).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { delimiter, join } from "node:path";

/** Debian's -dev packages for the import paths the tests build against (chart renderer, minio-go consumer). */
const DEBIAN_PACKAGES: Readonly<Record<string, string>> = {
  "github.com/Masterminds/sprig": "golang-github-masterminds-sprig-dev",
  "sigs.k8s.io/yaml": "golang-k8s-sigs-yaml-dev",
  "github.com/minio/minio-go/v7": "golang-github-minio-minio-go-v7-dev",
};

function lines(command: string, args: string[]): string[] {
  const result = spawnSync(command, args, { encoding: "utf8", timeout: 30_000 });
  return result.status === 0 ? result.stdout.split("\n").map((l) => l.trim()).filter((l) => l !== "") : [];
}

/** A GOPATH value (roots joined with the path delimiter) under which every import path has sources, or undefined. */
export function goPathWith(importPaths: readonly string[]): string | undefined {
  const roots = new Set(lines("go", ["env", "GOPATH"]).flatMap((l) => l.split(delimiter)).filter((r) => r !== ""));
  const packages = importPaths.flatMap((p) => DEBIAN_PACKAGES[p] ?? []);
  if (packages.length > 0) {
    for (const file of lines("dpkg-query", ["-L", ...packages])) {
      for (const p of importPaths) {
        const suffix = `/src/${p}`;
        if (file.endsWith(suffix)) roots.add(file.slice(0, -suffix.length));
      }
    }
  }
  const chosen = new Set<string>();
  for (const p of importPaths) {
    const root = [...roots].find((r) => existsSync(join(r, "src", p)));
    if (root === undefined) return undefined;
    chosen.add(root);
  }
  return [...chosen].join(delimiter);
}
