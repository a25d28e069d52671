import { describe, expect, it } from "vitest";
import { Interrupted, interruptedExitCode, Interruption } from "../../../cli/demo/interruption.js";

describe("the demo's interruption", () => {
  it("a signal rejects the awaited step with Interrupted naming the signal", async () => {
    const i = new Interruption();
    const step = i.race(new Promise(() => undefined));
    i.signal("SIGTERM");
    await expect(step).rejects.toBeInstanceOf(Interrupted);
    await expect(step).rejects.toThrow("interrupted by SIGTERM");
    // later steps are interrupted too: teardown does not wait on them
    await expect(i.race(new Promise(() => undefined))).rejects.toThrow("interrupted by SIGTERM");
  });

  it("during --keep's wait a signal ends the wait instead of interrupting", async () => {
    const i = new Interruption();
    const waiting = i.untilSignal();
    i.signal("SIGINT");
    await waiting;
    await expect(i.race(Promise.resolve("next step"))).resolves.toBe("next step");
  });

  it("exit codes follow the shell: 130 for SIGINT, 143 for SIGTERM", () => {
    expect(interruptedExitCode("SIGINT")).toBe(130);
    expect(interruptedExitCode("SIGTERM")).toBe(143);
  });
});
