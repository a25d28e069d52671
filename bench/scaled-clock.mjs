/**
 * Bench-only preload: `node --import ./bench/scaled-clock.mjs dist/avi.js agent` runs the whole process
 * `AVI_BENCH_CLOCK_SCALE` times faster than real time, so a compressed day needs no time knob in the
 * shipped agent. Sim time is a pure function of the real wall clock and a shared epoch:
 *
 *   sim = AVI_BENCH_CLOCK_SIM_EPOCH_MS + (realWallNow − AVI_BENCH_CLOCK_REAL_EPOCH_MS) × scale
 *
 * so every process given the same three numbers (the agent here, sim/vault's clock in the bench
 * process) agrees on the time without talking to each other. Scaled: Date.now / new Date(),
 * performance.now, setTimeout, setInterval. Not scaled, on purpose: network I/O and AbortSignal.timeout
 * (the agent's per-request Vault deadline) — a real round trip does not get faster, so request
 * deadlines stay in real time and a fault like "Vault slower than the timeout" means the same thing.
 */
const env = process.env;
const scale = Number(env.AVI_BENCH_CLOCK_SCALE);
const realEpoch = Number(env.AVI_BENCH_CLOCK_REAL_EPOCH_MS);
const simEpoch = Number(env.AVI_BENCH_CLOCK_SIM_EPOCH_MS);
if (!(scale > 0) || !Number.isFinite(realEpoch) || !Number.isFinite(simEpoch)) {
  throw new Error("bench/scaled-clock.mjs needs AVI_BENCH_CLOCK_SCALE (> 0), AVI_BENCH_CLOCK_REAL_EPOCH_MS and AVI_BENCH_CLOCK_SIM_EPOCH_MS (epoch ms)");
}

const realPerfNow = performance.now.bind(performance);
const realSetTimeout = globalThis.setTimeout;
const realSetInterval = globalThis.setInterval;
const RealDate = globalThis.Date;
// timeOrigin + performance.now() is the wall clock with sub-millisecond resolution (Date.now() has
// 1 ms, which is `scale` ms of sim time).
const realWallNow = () => performance.timeOrigin + realPerfNow();
const simNow = () => simEpoch + (realWallNow() - realEpoch) * scale;

class ScaledDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(Math.floor(simNow()));
    else super(...args);
  }
  static now() {
    return Math.floor(simNow());
  }
}
globalThis.Date = ScaledDate;
performance.now = () => realPerfNow() * scale;
const realDelay = (ms) => Math.max(0, (Number(ms) || 0) / scale);
globalThis.setTimeout = (fn, ms, ...args) => realSetTimeout(fn, realDelay(ms), ...args);
globalThis.setInterval = (fn, ms, ...args) => realSetInterval(fn, realDelay(ms), ...args);
