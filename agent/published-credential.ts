/** A credential as the output files and the loopback endpoint present it. */
import type { LifecycleView, PublishedCredential } from "./lifecycle/index.js";

export type { PublishedCredential } from "./lifecycle/index.js";

/** The current version of every credential fetched so far (expired ones included: files are never removed). */
export function publishedCredentials(machine: LifecycleView): PublishedCredential[] {
  return machine.published();
}

/** Values written into line-based files (INI, env) must not smuggle in extra lines. */
export function singleLine(value: string, what: string): string {
  if (/[\r\n\0]/.test(value)) throw new Error(`${what} contains a line break or NUL; refusing to write it`);
  return value;
}
