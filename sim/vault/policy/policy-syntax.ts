/**
 * Reads ACL policy documents as `sys/policies/acl/<name>` accepts them: HCL (the subset policies use:
 * `path "<glob>" { capabilities = [...] ... }`, comments, nested objects) or the equivalent JSON.
 * Output is plain data: one rule per path, with its capabilities.
 */

export interface PathRule {
  readonly path: string;
  readonly capabilities: readonly string[];
}

export class PolicySyntaxError extends Error {
  override readonly name = "PolicySyntaxError";
}

export const CAPABILITIES = ["create", "read", "update", "patch", "delete", "list", "sudo", "deny", "subscribe", "recover"] as const;
const LEGACY_POLICY: Record<string, readonly string[]> = {
  deny: ["deny"],
  read: ["read", "list"],
  write: ["create", "read", "update", "patch", "delete", "list"],
  sudo: ["create", "read", "update", "patch", "delete", "list", "sudo"],
};

type Value = string | number | boolean | Value[] | Entry[];
interface Entry {
  key: string;
  labels: string[];
  value: Value;
  line: number;
}

type Token =
  | { kind: "string" | "ident"; text: string; line: number }
  | { kind: "number"; value: number; line: number }
  | { kind: "punct"; text: "=" | "{" | "}" | "[" | "]" | ","; line: number };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (/\s/.test(c)) i++;
    else if (c === "#" || (c === "/" && src[i + 1] === "/")) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) throw new PolicySyntaxError(`comment not terminated at line ${line}`);
      line += src.slice(i, end).split("\n").length - 1;
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      let text = "";
      while (j < src.length && src[j] !== '"') {
        if (src[j] === "\n") throw new PolicySyntaxError(`literal not terminated at line ${line}`);
        if (src[j] === "\\") {
          const next = src[j + 1];
          text += next === "n" ? "\n" : next === "t" ? "\t" : (next ?? "");
          j += 2;
        } else text += src[j++];
      }
      if (j >= src.length) throw new PolicySyntaxError(`literal not terminated at line ${line}`);
      tokens.push({ kind: "string", text, line });
      i = j + 1;
    } else if ("={}[],".includes(c)) {
      tokens.push({ kind: "punct", text: c as "=", line });
      i++;
    } else if (/[0-9-]/.test(c)) {
      const m = /^-?\d+(\.\d+)?/.exec(src.slice(i));
      if (m === null) throw new PolicySyntaxError(`unexpected "${c}" at line ${line}`);
      tokens.push({ kind: "number", value: Number(m[0]), line });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_.-]*/.exec(src.slice(i))!;
      tokens.push({ kind: "ident", text: m[0], line });
      i += m[0].length;
    } else throw new PolicySyntaxError(`illegal char "${c}" at line ${line}`);
  }
  return tokens;
}

class Parser {
  private pos = 0;
  constructor(private readonly tokens: Token[]) {}

  parseBody(closing: boolean): Entry[] {
    const entries: Entry[] = [];
    for (;;) {
      const t = this.tokens[this.pos];
      if (t === undefined) {
        if (closing) throw new PolicySyntaxError("object expected closing RBRACE got: EOF");
        return entries;
      }
      if (t.kind === "punct" && t.text === "}") {
        if (!closing) throw new PolicySyntaxError(`unexpected "}" at line ${t.line}`);
        this.pos++;
        return entries;
      }
      if (t.kind === "punct" && t.text === ",") {
        this.pos++;
        continue;
      }
      if (t.kind !== "ident" && t.kind !== "string") throw new PolicySyntaxError(`expected a key at line ${t.line}`);
      this.pos++;
      const labels: string[] = [];
      while (this.tokens[this.pos]?.kind === "string") labels.push((this.tokens[this.pos++] as { text: string }).text);
      const next = this.tokens[this.pos];
      if (next?.kind === "punct" && next.text === "=") {
        this.pos++;
        entries.push({ key: t.text, labels, value: this.parseValue(), line: t.line });
      } else if (next?.kind === "punct" && next.text === "{") {
        this.pos++;
        entries.push({ key: t.text, labels, value: this.parseBody(true), line: t.line });
      } else throw new PolicySyntaxError(`key '${t.text}' expected start of object ('{') or assignment ('=') at line ${t.line}`);
    }
  }

  private parseValue(): Value {
    const t = this.tokens[this.pos++];
    if (t === undefined) throw new PolicySyntaxError("expected a value, got EOF");
    if (t.kind === "string") return t.text;
    if (t.kind === "number") return t.value;
    if (t.kind === "ident") {
      if (t.text === "true" || t.text === "false") return t.text === "true";
      throw new PolicySyntaxError(`unexpected identifier "${t.text}" at line ${t.line}`);
    }
    if (t.text === "[") {
      const list: Value[] = [];
      for (;;) {
        const n = this.tokens[this.pos];
        if (n === undefined) throw new PolicySyntaxError("list expected closing RBRACK got: EOF");
        if (n.kind === "punct" && n.text === "]") {
          this.pos++;
          return list;
        }
        if (n.kind === "punct" && n.text === ",") {
          this.pos++;
          continue;
        }
        list.push(this.parseValue());
      }
    }
    if (t.text === "{") return this.parseBody(true);
    throw new PolicySyntaxError(`unexpected "${t.text}" at line ${t.line}`);
  }
}

/** Parse an HCL or JSON policy into path rules. Throws {@link PolicySyntaxError} with Vault-like wording. */
export function parsePolicy(text: string): PathRule[] {
  const trimmed = text.trim();
  const entries = trimmed.startsWith("{") ? jsonEntries(trimmed) : new Parser(tokenize(text)).parseBody(false);
  const rules: PathRule[] = [];
  for (const entry of entries) {
    if (entry.key === "name") continue;
    if (entry.key !== "path") throw new PolicySyntaxError(`invalid key "${entry.key}" on line ${entry.line}`);
    if (entry.labels.length !== 1 || !Array.isArray(entry.value)) {
      throw new PolicySyntaxError(`path block on line ${entry.line} must look like: path "secret/*" { capabilities = ["read"] }`);
    }
    rules.push(pathRule(entry.labels[0]!, entry.value as Entry[]));
  }
  return rules;
}

function pathRule(path: string, body: Entry[]): PathRule {
  const caps = new Set<string>();
  for (const item of body) {
    if (item.key === "capabilities") {
      if (!Array.isArray(item.value) || item.value.some((v) => typeof v !== "string")) {
        throw new PolicySyntaxError(`path "${path}": capabilities must be a list of strings (line ${item.line})`);
      }
      for (const cap of item.value as string[]) {
        if (!(CAPABILITIES as readonly string[]).includes(cap)) throw new PolicySyntaxError(`path "${path}": invalid capability "${cap}"`);
        caps.add(cap);
      }
    } else if (item.key === "policy") {
      const legacy = typeof item.value === "string" ? LEGACY_POLICY[item.value] : undefined;
      if (legacy === undefined) throw new PolicySyntaxError(`path "${path}": invalid policy ${JSON.stringify(item.value)}`);
      legacy.forEach((c) => caps.add(c));
    } else if (
      ![
        "allowed_parameters",
        "denied_parameters",
        "required_parameters",
        "min_wrapping_ttl",
        "max_wrapping_ttl",
        "control_group",
        "mfa_methods",
        "subscribe_event_types",
      ].includes(item.key)
    ) {
      throw new PolicySyntaxError(`path "${path}": invalid key "${item.key}" on line ${item.line}`);
    }
  }
  return { path: path.replace(/^\//, ""), capabilities: caps.has("deny") ? ["deny"] : [...caps] };
}

function jsonEntries(text: string): Entry[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PolicySyntaxError(`invalid JSON policy: ${(err as Error).message}`);
  }
  const toValue = (v: unknown): Value => {
    if (Array.isArray(v)) return v.map(toValue);
    if (v !== null && typeof v === "object") return Object.entries(v).map(([key, value]) => ({ key, labels: [], value: toValue(value), line: 0 }));
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return v;
    return "";
  };
  const root = toValue(parsed);
  if (!Array.isArray(root)) throw new PolicySyntaxError("policy must be an object");
  const entries: Entry[] = [];
  for (const top of root as Entry[]) {
    if (top.key === "path" && Array.isArray(top.value)) {
      for (const p of top.value as Entry[]) entries.push({ key: "path", labels: [p.key], value: p.value, line: 0 });
    } else entries.push(top);
  }
  return entries;
}
