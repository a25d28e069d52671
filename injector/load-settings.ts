/**
 * Settings loading: parse (YAML, which includes JSON), validate against the settings schema, check
 * that every profile gives a configuration the agent accepts (agent-config.ts), freeze. The schema
 * and the Settings type live in settings.ts; this module is the only one that makes a Settings.
 */
import { parse as parseYaml } from "yaml";
import { checkAgentConfigCompatible } from "./agent-config.js";
import { SettingsError, settingsSchema, type Settings } from "./settings.js";

/**
 * Validates parsed settings; the error lists every problem as `path: message`. The result is frozen:
 * what the injector derives from settings is memoized per settings object (patch.ts), and a
 * reload replaces the object rather than changing it.
 */
export function parseSettings(value: unknown, source = "settings"): Settings {
  const result = settingsSchema.safeParse(value);
  if (result.success) {
    const incompatible = checkAgentConfigCompatible(result.data);
    if (incompatible !== undefined) throw new SettingsError(`${source} produces an agent configuration the agent rejects: ${incompatible}`);
    return deepFreeze(result.data);
  }
  const lines = result.error.issues.map((issue) => {
    const where = issue.path.length > 0 ? issue.path.join(".") : "(top level)";
    const missing = issue.code === "invalid_type" && issue.path.length > 0 && valueAt(value, issue.path) === undefined;
    const message = missing
      ? `is required${REQUIRED_HINT[where] !== undefined ? `: ${REQUIRED_HINT[where]}` : ""}`
      : issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.code === "invalid_key"
          ? (issue.issues[0]?.message ?? issue.message)
          : issue.message;
    return `${where}: ${message}`;
  });
  throw new SettingsError(`${source} is invalid (see docs/settings.md):\n  ${lines.join("\n  ")}`);
}

/** What to write for a required setting that is missing (examples/settings.yaml has them all). */
const REQUIRED_HINT: Readonly<Record<string, string>> = {
  vault: "a section with at least `address: https://vault.vault.svc:8200`",
  "vault.address": "the Vault URL the agent logs in to, e.g. https://vault.vault.svc:8200",
  agent: "a section with at least `image:`, the avi image of this release the agent runs (e.g. ghcr.io/example/airflow-vault-injector:0.1.0)",
  "agent.image": "the avi image of this release the agent runs, e.g. ghcr.io/example/airflow-vault-injector:0.1.0",
};

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node = root;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** Parses settings file text (YAML, which includes JSON). */
export function parseSettingsText(text: string, source = "settings"): Settings {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (err) {
    throw new SettingsError(`${source} is not valid YAML/JSON: ${(err as Error).message}`);
  }
  if (value === null || value === undefined) throw new SettingsError(`${source} is empty: it needs at least "vault.address" and "agent.image"`);
  return parseSettings(value, source);
}
