/**
 * How long `avi sim vault` takes from process spawn to its first 200 on /v1/sys/health (target < 1 s),
 * against a bare `node -e 0` start on the same machine in the same run. Needs `npm run build` first.
 *   npm run bench:sim-vault   → prints per-run figures and a RESULT line.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bareNodeStartMs as bareNode } from "./bench-support.js";

const RUNS = Number(process.env.RUNS ?? 15);
const avi = fileURLToPath(new URL("../dist/avi-dev.js", import.meta.url));
if (!existsSync(avi)) {
  console.error("dist/avi-dev.js is missing: run `npm run build` first");
  process.exit(2);
}


async function simStart(): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [avi, "sim", "vault", "--listen", "127.0.0.1:0", "--root-token", "bench"], { stdio: ["ignore", "pipe", "inherit"] });
  try {
    const address = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        const m = /listening on (\S+)/.exec(out);
        if (m !== null) resolve(m[1]!);
      });
      child.on("exit", (code) => reject(new Error(`avi sim vault exited with ${code} before listening`)));
    });
    for (;;) {
      const res = await fetch(`${address}/v1/sys/health`).catch(() => undefined);
      if (res?.status === 200) {
        await res.arrayBuffer();
        return performance.now() - t0;
      }
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  }
}

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
};

const bare: number[] = [];
const sim: number[] = [];
for (let i = 0; i < RUNS; i++) {
  bare.push(await bareNode());
  sim.push(await simStart());
}
const f = (n: number): string => n.toFixed(0);
console.log(`node ${process.version}, ${RUNS} runs each`);
console.log(`bare node -e 0:           p50 ${f(pct(bare, 50))} ms  p90 ${f(pct(bare, 90))} ms  max ${f(Math.max(...bare))} ms`);
console.log(`avi sim vault → health 200: p50 ${f(pct(sim, 50))} ms  p90 ${f(pct(sim, 90))} ms  max ${f(Math.max(...sim))} ms`);
console.log(`RESULT sim_vault_start_ms_p50=${f(pct(sim, 50))} sim_vault_start_ms_max=${f(Math.max(...sim))} bare_node_ms_p50=${f(pct(bare, 50))} target_ms=1000`);
