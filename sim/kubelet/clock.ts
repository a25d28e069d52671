/**
 * Time for the kubelet simulator: probe periods, the termination grace period and token rotation.
 * `sleep` may ignore the signal; the simulator races it against the signal itself. The test support's
 * FakeTime fits this interface, and so does a Vault simulator clock through {@link clockFromSimClock}.
 */
export interface KubeletClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: KubeletClock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    }),
};

/** A clock driven by a scheduler such as sim/vault's SimClock (`advance()` there fires sleeps here). */
export function clockFromSimClock(clock: { now(): number; schedule(atMs: number, fn: () => void): () => void }): KubeletClock {
  return {
    now: () => clock.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve) => {
        const cancel = clock.schedule(clock.now() + ms, done);
        function done(): void {
          cancel();
          signal?.removeEventListener("abort", done);
          resolve();
        }
        signal?.addEventListener("abort", done, { once: true });
      }),
  };
}

/** Resolves after `ms` on `clock`, or at once when the signal aborts. */
export function sleepOn(clock: KubeletClock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted === true) return Promise.resolve();
  if (signal === undefined) return clock.sleep(ms);
  return new Promise<void>((resolve) => {
    const onAbort = (): void => resolve();
    signal.addEventListener("abort", onAbort, { once: true });
    clock.sleep(ms, signal).then(
      () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      },
      () => resolve(),
    );
  });
}
