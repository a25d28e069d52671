/**
 * Bench-only diagnostic preload (`SOAK_HEAP=1 npm run bench:soak`): every AVI_BENCH_HEAP_EVERY_MS of
 * real time, force a full GC and append the process's memory to AVI_BENCH_HEAP_FILE (JSON lines), so a
 * slow RSS climb can be told apart from retained objects. Forcing GCs changes the process's memory
 * profile, so the soak's RSS figures come from runs without this probe.
 * Import it before bench/scaled-clock.mjs: it keeps the real setInterval.
 */
import { appendFileSync } from "node:fs";
import { getHeapStatistics, setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

const file = process.env.AVI_BENCH_HEAP_FILE;
const every = Number(process.env.AVI_BENCH_HEAP_EVERY_MS ?? 1000);
if (file !== undefined && file !== "") {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  const realDateNow = Date.now;
  setInterval(() => {
    gc();
    const m = process.memoryUsage();
    const h = getHeapStatistics();
    appendFileSync(file, `${JSON.stringify({ t: realDateNow(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers, mallocedMemory: h.malloced_memory })}\n`);
  }, every).unref();
}
