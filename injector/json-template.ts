/**
 * JSON text with parts rendered in advance. The agent container is most of every patch and differs
 * from pod to pod only in its configuration: its JSON is rendered once per settings with a placeholder
 * for that string, and the patch builder writes the filled-in text as it is (json-patch.ts). The result
 * has the bytes JSON.stringify gives for the real value.
 */

/** Control characters no settings value or pod field will hold (and jsonTemplate checks it anyway). */
const HOLE = "\u0000avi:hole\u0000";
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
