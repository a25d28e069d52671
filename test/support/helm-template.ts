/**
 * Renders the Airflow chart's pod-template-file (a Helm template) the way `helm template` would for a
 * given set of values, without Helm: `if/else if/else/end` with `{{-`/`-}}` whitespace trimming,
 * `$var :=` assignments, and expressions looked up by their text, piped through `toYaml`, `default`,
 * `indent` and `nindent`. Enough for this one template; an unknown expression is an error, so a new
 * chart construct fails loudly instead of rendering wrongly.
 */
export interface HelmValues {
  /** `if` conditions (their text after `if `) that hold; every other condition is false. */
  trueConditions: ReadonlySet<string>;
  /** Head expression text (before the first `|`) → rendered text (YAML where the chart calls toYaml). */
  expressions: Readonly<Record<string, string>>;
}

const TOKEN = /(\s*){{(-?)\s*([\s\S]*?)\s*(-?)}}/g;

export function renderHelmTemplate(template: string, values: HelmValues): string {
  let out = "";
  let last = 0;
  let trimNext = false;
  // Each frame: is the current branch active, and has any branch of this if-chain been taken?
  const stack: { active: boolean; taken: boolean; parentActive: boolean }[] = [];
  const active = (): boolean => stack.every((f) => f.active);
  const used = new Set<string>();

  for (const match of template.matchAll(TOKEN)) {
    const [whole, space = "", leftTrim, body = "", rightTrim] = match;
    let text = template.slice(last, match.index) + (leftTrim === "-" ? "" : space);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (active()) out += text;
    last = (match.index ?? 0) + whole.length;
    trimNext = rightTrim === "-";

    if (body.startsWith("/*")) continue;
    if (body.startsWith("if ")) {
      const parentActive = active();
      const holds = evalCondition(body.slice(3), values, used);
      stack.push({ active: holds, taken: holds, parentActive });
    } else if (body.startsWith("else if ")) {
      const frame = stack[stack.length - 1];
      if (frame === undefined) throw new Error("else without if");
      const holds = !frame.taken && evalCondition(body.slice(8), values, used);
      frame.active = holds;
      frame.taken ||= holds;
    } else if (body === "else") {
      const frame = stack[stack.length - 1];
      if (frame === undefined) throw new Error("else without if");
      frame.active = !frame.taken;
      frame.taken = true;
    } else if (body === "end") {
      if (stack.pop() === undefined) throw new Error("end without if");
    } else if (/^\$\w+\s*:=/.test(body)) {
      continue;
    } else if (active()) {
      out += evalExpression(body, values);
    }
  }
  let tail = template.slice(last);
  if (trimNext) tail = tail.replace(/^\s+/, "");
  out += tail;
  if (stack.length > 0) throw new Error("unterminated if");
  const unused = [...values.trueConditions].filter((c) => !used.has(c));
  if (unused.length > 0) throw new Error(`conditions never evaluated: ${unused.join(", ")}`);
  return out;
}

function evalCondition(condition: string, values: HelmValues, used: Set<string>): boolean {
  const key = condition.trim();
  if (values.trueConditions.has(key)) {
    used.add(key);
    return true;
  }
  return false;
}

function evalExpression(body: string, values: HelmValues): string {
  const [head = "", ...filters] = body.split("|").map((s) => s.trim());
  const value = values.expressions[head];
  if (value === undefined) throw new Error(`no value for expression "${head}"`);
  let result = value;
  for (const filter of filters) {
    const [name, arg] = filter.split(/\s+(.*)/s);
    if (name === "toYaml") continue;
    if (name === "default") {
      if (result === "") result = JSON.parse(arg ?? '""') as string;
    } else if (name === "indent" || name === "nindent") {
      const pad = " ".repeat(Number(arg));
      result = (name === "nindent" ? "\n" : "") + result.split("\n").map((line) => pad + line).join("\n");
    } else {
      throw new Error(`unsupported filter "${filter}"`);
    }
  }
  return result;
}
