import { describe, expect, it } from "vitest";
import { CleanupStack } from "../../../cli/demo/cleanup-stack.js";

describe("the demo's cleanup stack", () => {
  it("runs every step newest first, even after one throws, and reports the failure by name", async () => {
    const ran: string[] = [];
    const problems: string[] = [];
    const stack = new CleanupStack({ report: (p) => problems.push(p) });
    stack.push("Ceph RGW", () => Promise.resolve(ran.push("ceph")));
    stack.push("the demo's Vault mounts", () => {
      ran.push("mounts");
      return Promise.reject(new Error("403 permission denied"));
    });
    stack.push("webhook, API server and pods", () => Promise.resolve(ran.push("pipeline")));
    await stack.unwind();
    expect(ran).toEqual(["pipeline", "mounts", "ceph"]);
    expect(problems).toEqual(["the demo's Vault mounts: 403 permission denied"]);
  });

  it("a step that throws synchronously is reported like a rejected one", async () => {
    const problems: string[] = [];
    const ran: string[] = [];
    const stack = new CleanupStack({ report: (p) => problems.push(p) });
    stack.push("first", () => Promise.resolve(ran.push("first")));
    stack.push("second", () => {
      throw new Error("boom");
    });
    await stack.unwind();
    expect(ran).toEqual(["first"]);
    expect(problems).toEqual(["second: boom"]);
  });

  it("bounds each step: a stop that never settles is reported and the older steps still run", async () => {
    const ran: string[] = [];
    const problems: string[] = [];
    const stack = new CleanupStack({ report: (p) => problems.push(p), stepTimeoutMs: 20 });
    stack.push("Ceph RGW", () => Promise.resolve(ran.push("ceph")));
    stack.push("a hung stop", () => new Promise(() => undefined));
    await stack.unwind();
    expect(ran).toEqual(["ceph"]);
    expect(problems).toEqual(["a hung stop: did not finish within 0.02 s; moving on"]);
  });

  it("runs each step once: a second unwind runs only what was pushed since", async () => {
    let runs = 0;
    const stack = new CleanupStack({ report: () => undefined });
    stack.push("once", () => Promise.resolve(runs++));
    await stack.unwind();
    await stack.unwind();
    expect(runs).toBe(1);
    expect(stack.size).toBe(0);
    stack.push("later", () => Promise.resolve(runs++));
    await stack.unwind();
    expect(runs).toBe(2);
  });
});
