import { describe, expect, it } from "vitest";
import { observe, sessionCaughtUp, type RotationState } from "../../../cli/demo/rotation-watch.js";

const served = (accessKeyId: string) => ({ accessKeyId, expiration: "2026-12-03T23:00:00Z" });

describe("rotation bookkeeping", () => {
  it("the first credential is 'ready', each new key id a numbered rotation, the same key or none nothing", () => {
    let state: RotationState = { rotations: 0 };
    const events: unknown[] = [];
    for (const s of [undefined, served("ASIAAAAAAAAA1111"), served("ASIAAAAAAAAA1111"), undefined, served("ASIABBBBBBBB2222"), served("ASIACCCCCCCC3333")]) {
      const seen = observe(state, s);
      state = seen.state;
      if (seen.event !== undefined) events.push(seen.event);
    }
    expect(events).toEqual([
      { kind: "ready", served: served("ASIAAAAAAAAA1111") },
      { kind: "rotation", n: 1, served: served("ASIABBBBBBBB2222"), previous: "ASIAAAAAAAAA1111" },
      { kind: "rotation", n: 2, served: served("ASIACCCCCCCC3333"), previous: "ASIABBBBBBBB2222" },
    ]);
    expect(state).toEqual({ current: "ASIACCCCCCCC3333", rotations: 2 });
  });

  it("boto3 has caught up once its reported 8-character prefix is the current key's", () => {
    const progress = (accessKeyIdPrefix: string | null) => ({ requests: 10, failed: 0, objects: 5, accessKeyIdPrefix });
    expect(sessionCaughtUp(progress("ASIABBBB"), "ASIABBBBBBBB2222")).toBe(true);
    expect(sessionCaughtUp(progress("ASIAAAAA"), "ASIABBBBBBBB2222")).toBe(false);
    expect(sessionCaughtUp(progress(null), "ASIABBBBBBBB2222")).toBe(false);
    expect(sessionCaughtUp(undefined, "ASIABBBBBBBB2222")).toBe(false);
    expect(sessionCaughtUp(progress(null), undefined)).toBe(false);
  });
});
