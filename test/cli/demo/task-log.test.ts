import { describe, expect, it } from "vitest";
import { TaskLog } from "../../../cli/demo/task-log.js";

describe("the task's log", () => {
  it("joins chunks into lines, keeps them, and tracks the latest progress line", () => {
    const log = new TaskLog();
    log.write('{"progress":{"requests":3,"failed":0,"objects":1,"accessKeyIdPrefix":"ASIAAAAA"}}\n{"progr');
    expect(log.progress?.requests).toBe(3);
    log.write('ess":{"requests":9,"failed":1,"objects":4,"accessKeyIdPrefix":"ASIABBBB"}}\nnot json\nnull\n');
    expect(log.progress).toEqual({ requests: 9, failed: 1, objects: 4, accessKeyIdPrefix: "ASIABBBB" });
    expect(log.text().split("\n")).toHaveLength(4);
    expect(log.text()).toContain("not json");
  });
});
