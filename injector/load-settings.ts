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
    const message =
      issue.code === "unrecognized_keys"
        ? `unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`
        : issue.code === "invalid_key"
          ? (issue.issues[0]?.message ?? issue.message)
          : issue.message;
    return `${where}: ${message}`;
  });
  throw new SettingsError(`${source} is invalid (see docs/settings.md):\n  ${lines.join("\n  ")}`);
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
