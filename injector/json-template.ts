/**
 * JSON text with parts rendered in advance. The agent container is most of every patch and differs
 * from pod to pod only in its configuration: its JSON is rendered once per settings with a placeholder
 * for that string, and the patch builder writes the filled-in text as it is (json-patch.ts). The result
 * has the bytes JSON.stringify gives for the real value.
 */

/** Control characters no settings value or pod field will hold (and jsonTemplate checks it anyway). */
const hole = (i: number): string => `\u0000avi:hole${i}\u0000`;

export type JsonTemplate = (...values: string[]) => string;

/**
 * JSON.stringify(build(...values)) for any `count` strings, from one rendering of build with
 * placeholders: the text between them is kept, each value's JSON goes between.
 */
export function jsonTemplate(build: (...values: string[]) => unknown, count = 1): JsonTemplate {
  const holes = Array.from({ length: count }, (_, i) => hole(i));
  const parts: string[] = [];
  let rest = JSON.stringify(build(...holes));
  for (const h of holes) {
    const split = rest.split(JSON.stringify(h));
    // Not there exactly once, in order (a build that drops one, or a value that holds one): render in full.
    if (split.length !== 2) return (...values) => JSON.stringify(build(...values));
    parts.push(split[0] ?? "");
    rest = split[1] ?? "";
  }
  parts.push(rest);
  return (...values) => {
    let json = parts[0] ?? "";
    for (let i = 0; i < count; i++) json += `${JSON.stringify(values[i])}${parts[i + 1] ?? ""}`;
    return json;
  };
}
