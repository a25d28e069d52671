/**
 * RFC 6902 patch building with the pitfalls of reference/k8s-admission.md §3 handled once: a missing
 * array or map is created with a single `add` (a second `add` of the whole array would replace the
 * first), existing ones are appended to with `/-` or extended key by key, and every path segment is
 * escaped (`~` → `~0`, `/` → `~1`). Only `add` is emitted: `remove`/`replace`/`test` on a path that is
 * not there fail the user's request with a 500 whatever the failurePolicy.
 */
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

export class PatchBuilder {
  readonly operations: PatchOperation[] = [];

  /** Appends items to the array at `path`; `current` is its value in the original object. */
  append(path: readonly (string | number)[], current: unknown, items: readonly unknown[]): void {
    if (items.length === 0) return;
    if (Array.isArray(current)) {
      for (const item of items) this.operations.push({ op: "add", path: `${pointer(path)}/-`, value: item });
    } else {
      // Absent or null: create the whole array in one operation.
      this.operations.push({ op: "add", path: pointer(path), value: [...items] });
    }
  }

  /** Sets keys of the map at `path` (adding to an existing key replaces its value, per RFC 6902 §4.1). */
  setEntries(path: readonly (string | number)[], current: unknown, entries: Readonly<Record<string, string>>): void {
    const keys = Object.keys(entries);
    if (keys.length === 0) return;
    if (current !== null && typeof current === "object" && !Array.isArray(current)) {
      for (const key of keys) this.operations.push({ op: "add", path: pointer([...path, key]), value: entries[key] });
    } else {
      this.operations.push({ op: "add", path: pointer(path), value: { ...entries } });
    }
  }
}
