/**
 * RFC 6902 patch building with the pitfalls of reference/k8s-admission.md §3 handled once: a missing
 * array or map is created with a single `add` (a second `add` of the whole array would replace the
 * first), existing ones are appended to with `/-` or extended key by key, and every path segment is
 * escaped (`~` → `~0`, `/` → `~1`). Only `add` is emitted: `remove`/`replace`/`test` on a path that is
 * not there fail the user's request with a 500 whatever the failurePolicy.
 */
import { HOLE, spliceJson } from "./json-template.js";

export interface AddOperation {
  op: "add";
  path: string;
  value: unknown;
}
export type PatchOperation = AddOperation;

export function pointer(segments: readonly (string | number)[]): string {
  let path = "";
  for (const segment of segments) {
    const s = String(segment);
    path += `/${s.includes("~") || s.includes("/") ? s.replace(/~/g, "~0").replace(/\//g, "~1") : s}`;
  }
  return path;
}

/**
 * Collects the operations and, alongside, their wire form for JSON text (what the webhook sends): a value
 * whose JSON is already known — the agent container, from its template — stands there as a placeholder
 * and is spliced in, so it is not stringified again.
 */
export class PatchBuilder {
  readonly operations: PatchOperation[] = [];
  readonly #wire: PatchOperation[] = [];
  readonly #rendered: string[] = [];

  /**
   * Appends items to the array at `path`; `current` is its value in the original object. `itemsJson`,
   * when given, holds JSON.stringify of each item, rendered in advance.
   */
  append(path: readonly (string | number)[], current: unknown, items: readonly unknown[], itemsJson?: readonly string[]): void {
    if (items.length === 0) return;
    const wire = itemsJson === undefined ? items : itemsJson.map((json) => this.#placeholder(json));
    if (Array.isArray(current)) {
      const at = `${pointer(path)}/-`;
      items.forEach((item, i) => this.#add(at, item, wire[i]));
    } else {
      // Absent or null: create the whole array in one operation.
      this.#add(pointer(path), [...items], [...wire]);
    }
  }

  /** Sets keys of the map at `path` (adding to an existing key replaces its value, per RFC 6902 §4.1). */
  setEntries(path: readonly (string | number)[], current: unknown, entries: Readonly<Record<string, string>>): void {
    const keys = Object.keys(entries);
    if (keys.length === 0) return;
    if (current !== null && typeof current === "object" && !Array.isArray(current)) {
      for (const key of keys) this.#add(pointer([...path, key]), entries[key]);
    } else {
      this.#add(pointer(path), { ...entries });
    }
  }

  /** The operations as JSON text: the bytes of JSON.stringify(operations). */
  json(): string {
    return spliceJson(this.#wire, this.#rendered) ?? JSON.stringify(this.operations);
  }

  #add(path: string, value: unknown, wire: unknown = value): void {
    this.operations.push({ op: "add", path, value });
    this.#wire.push({ op: "add", path, value: wire });
  }

  #placeholder(json: string): string {
    this.#rendered.push(json);
    return HOLE;
  }
}
