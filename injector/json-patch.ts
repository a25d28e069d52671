/**
 * RFC 6902 patch building with the pitfalls of the API server's patcher (evanphx/json-patch v4.12,
 * as kubernetes/apiserver applies it) handled once: a missing
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

/**
 * Collects the operations and, alongside, their wire form as JSON text (what the webhook sends), one
 * operation at a time: a value whose JSON is already known — the agent container, from its template —
 * is written as it is, so it is neither stringified again nor searched for.
 */
export class PatchBuilder {
  readonly operations: PatchOperation[] = [];
  #json = "";

  /**
   * Appends items to the array at `path`; `current` is its value in the original object. `itemsJson`,
   * when given, holds JSON.stringify of each item, rendered in advance.
   */
  append(path: readonly (string | number)[], current: unknown, items: readonly unknown[], itemsJson?: readonly string[]): void {
    if (items.length === 0) return;
    const json = (i: number): string => itemsJson?.[i] ?? JSON.stringify(items[i]);
    if (Array.isArray(current)) {
      const at = `${pointer(path)}/-`;
      for (let i = 0; i < items.length; i++) this.#add(at, items[i], json(i));
    } else {
      // Absent or null: create the whole array in one operation.
      let array = "";
      for (let i = 0; i < items.length; i++) array += i === 0 ? json(i) : `,${json(i)}`;
      this.#add(pointer(path), [...items], `[${array}]`);
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
    return `[${this.#json}]`;
  }

  #add(path: string, value: unknown, json: string = JSON.stringify(value)): void {
    this.operations.push({ op: "add", path, value });
    // The key order of the object above, so the text is JSON.stringify's.
    this.#json += `${this.operations.length === 1 ? "" : ","}{"op":"add","path":${JSON.stringify(path)},"value":${json}}`;
  }
}
