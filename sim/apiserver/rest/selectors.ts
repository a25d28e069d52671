/**
 * The string forms of label and field selectors in list/watch query parameters
 * (`a=b,c!=d,e in (x,y),!f`; `metadata.name=x`). Malformed input is a 400, as on the API server.
 */
import { badRequest } from "./status.js";

type Requirement =
  | { key: string; op: "eq" | "neq"; value: string }
  | { key: string; op: "in" | "notin"; values: string[] }
  | { key: string; op: "exists" | "absent" };

export type Selector = readonly Requirement[];

/** Splits on commas outside parentheses. */
function terms(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let current = "";
  for (const ch of text) {
    if (ch === "(") depth++;
    if (ch === ")") depth--;
    if (ch === "," && depth === 0) {
      out.push(current.trim());
      current = "";
    } else current += ch;
  }
  if (current.trim() !== "") out.push(current.trim());
  return out;
}

export function parseLabelSelector(text: string | null): Selector {
  if (text === null || text.trim() === "") return [];
  return terms(text).map((term): Requirement => {
    let m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(term);
    if (m !== null) return { key: m[1]!, op: m[2] as "in" | "notin", values: m[3]!.split(",").map((v) => v.trim()).filter((v) => v !== "") };
    m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(term);
    if (m !== null) return { key: m[1]!, op: m[2] === "!=" ? "neq" : "eq", value: m[3]! };
    m = /^(!?)([\w./-]+)$/.exec(term);
    if (m !== null) return { key: m[2]!, op: m[1] === "!" ? "absent" : "exists" };
    throw badRequest(`unable to parse requirement: ${JSON.stringify(term)}`);
  });
}

export function matches(selector: Selector, labels: Readonly<Record<string, string>>): boolean {
  return selector.every((r) => {
    const value = labels[r.key];
    switch (r.op) {
      case "eq":
        return value === r.value;
      case "neq":
        return value !== r.value;
      case "in":
        return value !== undefined && r.values.includes(value);
      case "notin":
        return value === undefined || !r.values.includes(value);
      case "exists":
        return value !== undefined;
      case "absent":
        return value === undefined;
    }
  });
}

const FIELDS = ["metadata.name", "metadata.namespace"] as const;

/** Field selectors: every resource supports `metadata.name` and `metadata.namespace`. */
export function parseFieldSelector(text: string | null): Selector {
  const selector = parseLabelSelector(text);
  for (const r of selector) {
    if (!(FIELDS as readonly string[]).includes(r.key) || (r.op !== "eq" && r.op !== "neq")) {
      throw badRequest(`field label not supported: ${r.key}`);
    }
  }
  return selector;
}

/** The name a list/watch is limited to by `metadata.name=<x>` (RBAC then checks resourceNames against it). */
export function exactName(selector: Selector): string | undefined {
  const r = selector.find((s) => s.key === "metadata.name" && s.op === "eq");
  return r !== undefined && r.op === "eq" ? r.value : undefined;
}
