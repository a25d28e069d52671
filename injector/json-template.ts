/**
 * JSON text with parts rendered in advance. The agent container is most of every patch and differs
 * from pod to pod only in its configuration: its JSON is rendered once per settings with a placeholder
 * for that string (jsonTemplate), and the patch is stringified with the placeholder where the container
 * goes (spliceJson). Either way the result has the bytes JSON.stringify gives for the real value.
 */

/** Control characters no settings value or pod field will hold (and the splits below check it anyway). */
export const HOLE = "\u0000avi:hole\u0000";
const HOLE_JSON = JSON.stringify(HOLE);

export type JsonTemplate = (value: string) => string;

/** JSON.stringify(build(s)) for any string s, from one rendering of build(HOLE). */
export function jsonTemplate(build: (value: string) => unknown): JsonTemplate {
  const parts = JSON.stringify(build(HOLE)).split(HOLE_JSON);
  // Not there exactly once (a build that drops it, or a value that happens to hold it): render in full.
  if (parts.length !== 2) return (value) => JSON.stringify(build(value));
  const [head = "", tail = ""] = parts;
  return (value) => `${head}${JSON.stringify(value)}${tail}`;
}

/**
 * JSON.stringify(value), where `value` holds HOLE in place of values whose JSON is known: the n-th HOLE
 * becomes texts[n]. Undefined when the count does not match (then stringify the real value).
 */
export function spliceJson(value: unknown, texts: readonly string[]): string | undefined {
  const parts = JSON.stringify(value).split(HOLE_JSON);
  if (parts.length !== texts.length + 1) return undefined;
  let json = parts[0] ?? "";
  for (let i = 0; i < texts.length; i++) json += `${texts[i]}${parts[i + 1]}`;
  return json;
}
