/**
 * Reads a credential from the agent's loopback endpoint the way an SDK does (docs/agent.md), keeping only
 * what the demo may print: the access key id (shown as a prefix) and the served `Expiration`.
 */
import { readFile } from "node:fs/promises";

export interface ServedCredential {
  readonly accessKeyId: string;
  readonly expiration: string;
}

/** `undefined` while the agent has nothing to serve yet (503) or the endpoint is not up. */
export async function readServedCredential(url: string, tokenFile: string): Promise<ServedCredential | undefined> {
  let token: string;
  try {
    token = await readFile(tokenFile, "utf8");
  } catch {
    return undefined;
  }
  let res: Response;
  try {
    res = await fetch(url, { headers: { Authorization: token }, signal: AbortSignal.timeout(2_000) });
  } catch {
    return undefined;
  }
  if (res.status === 503) return undefined;
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { AccessKeyId?: unknown; Expiration?: unknown };
  if (typeof body.AccessKeyId !== "string" || typeof body.Expiration !== "string") throw new Error(`GET ${url}: not a container-credentials document`);
  return { accessKeyId: body.AccessKeyId, expiration: body.Expiration };
}

/** Never the whole key id in demo output: enough to tell versions apart. */
export const keyPrefix = (accessKeyId: string | null | undefined): string => (accessKeyId ? `${accessKeyId.slice(0, 8)}…` : "(none)");

/** Per-credential counters from the agent's status.json (no secrets there). */
export interface AgentCounters {
  readonly fetches: number;
  readonly rotations: number;
  readonly failures: number;
}

export async function readAgentCounters(statusFile: string, name: string): Promise<AgentCounters | undefined> {
  try {
    const doc = JSON.parse(await readFile(statusFile, "utf8")) as { credentials?: Record<string, Partial<AgentCounters>> };
    const c = doc.credentials?.[name];
    if (c === undefined) return undefined;
    return { fetches: c.fetches ?? 0, rotations: c.rotations ?? 0, failures: c.failures ?? 0 };
  } catch {
    return undefined;
  }
}
