import { spawnSync } from "node:child_process";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { turnBatched, type SyncDestination } from "../../webhook/log-destination.js";
import { REPO_ROOT } from "../support/repo.js";

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A destination that records what it is given. */
function recording(): { writes: string[]; flushes: { count: number }; destination: SyncDestination } {
  const writes: string[] = [];
  const flushes = { count: 0 };
  return { writes, flushes, destination: { write: (text: string) => writes.push(text), flushSync: () => void flushes.count++ } };
}

describe("the webhook's log destination: one write per event-loop turn", () => {
  it("writes the lines of a turn in one write, in order, when the turn ends", async () => {
    const { writes, destination } = recording();
    const log = turnBatched(destination);
    log.write("a\n");
    log.write("b\n");
    expect(writes).toEqual([]);
    await turn();
    expect(writes).toEqual(["a\nb\n"]);
    log.write("c\n");
    await turn();
    await turn();
    expect(writes).toEqual(["a\nb\n", "c\n"]);
  });

  it("flushSync and flush write what is pending at once", () => {
    const { writes, flushes, destination } = recording();
    const log = turnBatched(destination);
    log.write("a\n");
    log.flushSync();
    expect(writes).toEqual(["a\n"]);
    log.write("b\n");
    let called = false;
    log.flush(() => (called = true));
    expect(writes).toEqual(["a\n", "b\n"]);
    expect(called).toBe(true);
    expect(flushes.count).toBe(2);
  });

  it("carries pino's lines unchanged", async () => {
    const { writes, destination } = recording();
    const logger = pino({ level: "info", base: { component: "webhook" } }, turnBatched(destination));
    logger.info({ uid: "u-1", namespace: "airflow", pod: "etl-*", mode: "sidecar", credentials: "minio-etl", ms: 0.4 }, "injected");
    logger.info({ uid: "u-2", namespace: "airflow", code: 403, reason: 'profile "x" is not allowed' }, "denied");
    await turn();
    expect(writes).toHaveLength(1);
    const lines = (writes[0] ?? "").trimEnd().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toMatchObject([
      { level: 30, component: "webhook", uid: "u-1", namespace: "airflow", pod: "etl-*", mode: "sidecar", credentials: "minio-etl", ms: 0.4, msg: "injected" },
      { uid: "u-2", code: 403, reason: 'profile "x" is not allowed', msg: "denied" },
    ]);
  });

  it.each([
    ["exits in the middle of a turn", "process.exit(3)", 3],
    ["crashes in the middle of a turn", "throw new Error('boom')", 1],
  ])("a process that %s still writes its last lines", (_name, end, code) => {
    const script = [
      'import { pino } from "pino";',
      'import { webhookLogDestination } from "./webhook/log-destination.ts";',
      "const logger = pino({ base: null }, webhookLogDestination());",
      'logger.info("first"); logger.info("last");',
      end,
    ].join("\n");
    const result = spawnSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { cwd: REPO_ROOT, encoding: "utf8", timeout: 20_000 });
    expect(result.status).toBe(code);
    expect(result.stdout.trimEnd().split("\n").map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(["first", "last"]);
  });
});
