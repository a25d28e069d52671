/**
 * The built agent (`node dist/avi.js agent`) as a child process, and one-shot helpers for consumer
 * processes. Waits poll real files and ports because these are real processes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { AGENT_NODE_OPTIONS } from "../../agent/config.js";
import { REPO_ROOT } from "./repo.js";

export interface AgentProcess {
  readonly child: ChildProcess;
  /** stdout + stderr lines so far. */
  readonly output: string[];
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Waits until status.json says ready; returns the parsed status. */
  ready(timeoutMs?: number): Promise<AgentStatus>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface AgentStatus {
  readonly ready: boolean;
  readonly endpoint?: { readonly url: string; readonly healthPort: number };
  readonly credentials: Record<string, { version: number | null }>;
}

export const AVI_BIN = join(REPO_ROOT, "dist", "avi.js");
/** The dev CLI (demo, `sim vault`): checkout only, never in the image. */
export const AVI_DEV_BIN = join(REPO_ROOT, "dist", "avi-dev.js");

export async function until<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A clean environment: no AWS_* or VAULT_* leaking in from the machine, HOME in a temp dir. */
/** Set by vitest.config.ts on a Node older than the AWS SDK's next minimum; consumers started here inherit it. */
const AWS_SDK_NODE_WARNING = "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED";

export function cleanEnv(home: string, extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const key of ["PATH", "LANG", "TZ", "SystemRoot", AWS_SDK_NODE_WARNING]) if (process.env[key] !== undefined) env[key] = process.env[key];
  return { ...env, HOME: home, ...extra };
}

export function startAgentProcess(config: unknown, env: NodeJS.ProcessEnv, outputDir: string): AgentProcess {
  // As injected: with the agent container's NODE_OPTIONS.
  const child = spawn(process.execPath, [AVI_BIN, "agent"], { env: { NODE_OPTIONS: AGENT_NODE_OPTIONS, ...env, AVI_AGENT_CONFIG: JSON.stringify(config) }, stdio: ["ignore", "pipe", "pipe"] });
  const output: string[] = [];
  const collect = (chunk: Buffer): void => {
    output.push(...chunk.toString("utf8").split("\n").filter((l) => l !== ""));
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const statusPath = join(outputDir, "status.json");
  return {
    child,
    output,
    exited,
    ready: (timeoutMs = 15_000) =>
      until(
        () => {
          if (child.exitCode !== null) throw new Error(`agent exited ${child.exitCode}:\n${output.join("\n")}`);
          if (!existsSync(statusPath)) return undefined;
          const status = JSON.parse(readFileSync(statusPath, "utf8")) as AgentStatus;
          return status.ready ? status : undefined;
        },
        timeoutMs,
        "the agent to become ready",
      ),
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null) child.kill(signal);
      return exited;
    },
  };
}

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString("utf8")));
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("error", reject);
    child.once("exit", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
