/**
 * Raw-socket fuzzing of a running agent's loopback endpoint and health port: methods, request
 * targets (malformed %-escapes, dot segments, huge paths, absolute forms) and headers (missing, wrong
 * and oversized tokens, odd framing). Seeded, so a failing run can be replayed. Used by
 * test/e2e/agent-endpoint-fuzz.test.ts and bench/endpoint-fuzz.ts.
 */
import { connect } from "node:net";
import { seededRandom } from "./agent-harness.js";

export interface FuzzTarget {
  readonly endpointPort: number;
  readonly healthPort: number;
  readonly token: string;
  readonly names: readonly string[];
}

export interface FuzzOutcome {
  /** Status line codes seen ("none" when the server closed without one). */
  readonly statuses: Map<string, number>;
  readonly requests: number;
}

const METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE", "CONNECT", "PROPFIND", "get", "G%ET", ""];

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function junk(random: () => number, length: number): string {
  let s = "";
  for (let i = 0; i < length; i++) s += String.fromCharCode(0x21 + Math.floor(random() * 94));
  return s;
}

function target(random: () => number, names: readonly string[]): string {
  const name = pick(random, names);
  return pick(random, [
    () => `/v1/credentials/${name}`,
    () => "/v1/credentials/%",
    () => `/v1/credentials/%${junk(random, 1)}`,
    () => "/v1/credentials/%E0%A4%A",
    () => "/v1/credentials/%C0%AF",
    () => `/v1/credentials/${name}%2f..%2f${name}`,
    () => "/v1/credentials/../../status.json",
    () => `/v1/credentials/${encodeURIComponent(junk(random, 8))}`,
    () => `/v1/credentials/${junk(random, 20)}`,
    () => `/v1/credentials/${"a".repeat(1 + Math.floor(random() * 7000))}`,
    () => `/v1/credentials/${name}?x=%&y=${junk(random, 4)}`,
    () => "/v1/credentials/",
    () => "//v1//credentials//",
    () => "*",
    () => `http://127.0.0.1/v1/credentials/${name}`,
    () => "/healthz",
    () => "/ready",
    () => "/metrics",
    () => `/${junk(random, 30)}`,
    () => "/v1/credentials/\u00e9t\u00e9",
  ])();
}

function headers(random: () => number, token: string): string[] {
  const lines: string[] = ["Host: 127.0.0.1"];
  const auth = pick(random, [
    undefined,
    token,
    `Bearer ${token}`,
    "",
    "Bearer ",
    junk(random, 40),
    "x".repeat(1 + Math.floor(random() * 9000)),
    `${token}\u00ff`,
  ]);
  if (auth !== undefined) lines.push(`Authorization: ${auth}`);
  if (random() < 0.2) lines.push(`Authorization: ${junk(random, 10)}`);
  if (random() < 0.2) lines.push(`X-${junk(random, 6).replace(/[^A-Za-z0-9]/g, "a")}: ${junk(random, 50)}`);
  if (random() < 0.1) lines.push("Content-Length: 5");
  if (random() < 0.1) lines.push("Transfer-Encoding: chunked");
  if (random() < 0.05) lines.push("Content-Length: -1");
  if (random() < 0.05) lines.push("Expect: 100-continue");
  if (random() < 0.05) lines.push(`Cookie: ${"c".repeat(20_000)}`);
  return lines;
}

/** Sends one raw request and resolves with its status code (or "none"); never rejects. */
function send(port: number, raw: string, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let data = "";
    const done = (status: string): void => {
      socket.destroy();
      clearTimeout(timer);
      resolve(status);
    };
    const timer = setTimeout(() => done(statusOf(data) ?? "timeout"), timeoutMs);
    socket.on("data", (chunk: Buffer) => {
      data += chunk.toString("latin1");
      const status = statusOf(data);
      if (status !== undefined && data.includes("\r\n\r\n")) done(status);
    });
    socket.on("error", () => done(statusOf(data) ?? "none"));
    socket.on("close", () => done(statusOf(data) ?? "none"));
    socket.on("connect", () => socket.write(raw, "latin1"));
  });
}

function statusOf(data: string): string | undefined {
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(data);
  return m?.[1];
}

export async function fuzzEndpoint(t: FuzzTarget, options: { seed: number; requests: number; timeoutMs?: number; onBatch?: () => Promise<void> }): Promise<FuzzOutcome> {
  const random = seededRandom(options.seed);
  const statuses = new Map<string, number>();
  const batch = 20;
  for (let i = 0; i < options.requests; i += batch) {
    const sends: Promise<string>[] = [];
    for (let j = 0; j < batch && i + j < options.requests; j++) {
      const port = random() < 0.8 ? t.endpointPort : t.healthPort;
      const body = random() < 0.1 ? junk(random, 5) : "";
      const raw = `${pick(random, METHODS)} ${target(random, t.names)} HTTP/1.1\r\n${headers(random, t.token).join("\r\n")}\r\nConnection: close\r\n\r\n${body}`;
      sends.push(send(port, raw, options.timeoutMs ?? 3000));
    }
    for (const status of await Promise.all(sends)) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    await options.onBatch?.();
  }
  return { statuses, requests: options.requests };
}
