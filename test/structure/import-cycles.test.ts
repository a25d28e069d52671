/**
 * No import cycles in the product or the simulators: every relative import (type-only ones included,
 * as they still tie two modules' contracts together) read with TypeScript's own pre-processor, then a
 * depth-first search over the graph. A cycle fails the test with its path.
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const DIRS = ["agent", "injector", "webhook", "cli", "sim"];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith(".ts") && !name.endsWith(".d.ts") ? [path] : [];
  });
}

/** Relative imports of a file, resolved to .ts files (`./x.js` → `./x.ts`, `./dir` → `./dir/index.ts`). */
export function importsOf(file: string, text = readFileSync(file, "utf8")): string[] {
  const info = ts.preProcessFile(text, true, true);
  return info.importedFiles
    .map((f) => f.fileName)
    .filter((spec) => spec.startsWith("."))
    .map((spec) => {
      const base = resolve(dirname(file), spec.replace(/\.(m?js)$/, ""));
      return [`${base}.ts`, `${base}.mts`, join(base, "index.ts")].find((p) => existsSync(p));
    })
    .filter((p): p is string => p !== undefined);
}

/** Every cycle's path (each reported once, from where the search entered it). */
export function findCycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const state = new Map<string, "open" | "done">();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    state.set(node, "open");
    stack.push(node);
    for (const next of graph.get(node) ?? []) {
      const s = state.get(next);
      if (s === "open") cycles.push([...stack.slice(stack.indexOf(next)), next]);
      else if (s === undefined) visit(next);
    }
    stack.pop();
    state.set(node, "done");
  };
  for (const node of graph.keys()) if (!state.has(node)) visit(node);
  return cycles;
}

describe("import graph", () => {
  it("finds a cycle when there is one (the check can fail)", () => {
    const graph = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    expect(findCycles(graph)).toEqual([["a", "b", "c", "a"]]);
    expect(importsOf(join(ROOT, "agent/x.ts"), 'import type { Y } from "./lifecycle/index.js";\nexport { z } from "./config.js";')).toEqual([join(ROOT, "agent/lifecycle/index.ts"), join(ROOT, "agent/config.ts")]);
  });

  it(`has no cycle in ${DIRS.join(", ")}`, () => {
    const files = DIRS.flatMap((d) => sources(join(ROOT, d)));
    expect(files.length).toBeGreaterThan(100);
    const graph = new Map(files.map((f) => [f, importsOf(f)]));
    const cycles = findCycles(graph).map((c) => c.map((f) => relative(ROOT, f)).join(" → "));
    expect(cycles).toEqual([]);
  });
});
