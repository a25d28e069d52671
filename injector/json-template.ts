/**
 * JSON text of a value that is the same for every pod but for one string, rendered once: the value is
 * built with a placeholder, stringified, and split around it; filling in a string then costs one
 * JSON.stringify of that string instead of one of the whole value (the agent container, most of every
 * patch, differs from pod to pod only in its configuration). Same bytes as JSON.stringify(build(s)).
 */

/** Control characters no settings value or pod field will hold (and the split below checks it anyway). */
const HOLE = "\u0000avi:hole\u0000";
const HOLE_JSON = JSON.stringify(HOLE);

export type JsonTemplate = (value: string) => string;

export function jsonTemplate(build: (value: string) => unknown): JsonTemplate {
  const parts = JSON.stringify(build(HOLE)).split(HOLE_JSON);
  // Not there exactly once (a build that drops it, or a value that happens to hold it): render in full.
  if (parts.length !== 2) return (value) => JSON.stringify(build(value));
  const [head = "", tail = ""] = parts;
  return (value) => `${head}${JSON.stringify(value)}${tail}`;
}
