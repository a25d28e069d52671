/**
 * What the injector derives from the settings alone (the JSON of the agent container and its volumes),
 * computed on first use and kept per settings object. Settings are frozen (parseSettings), so a derived
 * value stays right for as long as its settings are in use; a reload brings a new settings object, and
 * the old one's entries go with it.
 */
import type { Settings } from "./settings.js";

/** `derive`, memoized per settings object and arguments (primitives: they make the key). */
export function perSettings<A extends readonly (string | number | boolean)[], T>(
  derive: (settings: Settings, ...args: A) => T,
): (settings: Settings, ...args: A) => T {
  const cache = new WeakMap<Settings, Map<string, T>>();
  return (settings, ...args) => {
    let derived = cache.get(settings);
    if (derived === undefined) cache.set(settings, (derived = new Map<string, T>()));
    const key = args.join(":");
    let value = derived.get(key);
    if (value === undefined) {
      value = derive(settings, ...args);
      derived.set(key, value);
    }
    return value;
  };
}
