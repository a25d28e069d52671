// Go duration parsing and printing as Vault uses them (`sdk/framework/lease.go` warnings print `1h`, `9m58s`).
import { describe, expect, it } from "vitest";
import { fc, test } from "@fast-check/vitest";
import { formatGoDuration, humanDuration, parseDurationSecond, parseGoDurationNanos } from "../../../../sim/vault/time/duration.js";

describe("parseDurationSecond (parseutil.ParseDurationSecond)", () => {
  it.each([
    ["3600", 3600],
    [3600, 3600],
    ["1h", 3600],
    ["1h30m", 5400],
    ["90s", 90],
    ["1.5h", 5400],
    ["500ms", 0.5],
    ["2d", 172_800],
    ["", 0],
    ["0", 0],
  ] as const)("%j → %d s", (input, seconds) => {
    expect(parseDurationSecond(input)).toBe(seconds);
  });

  it.each([
    ["1x", 'time: unknown unit "x" in duration "1x"'],
    ["abc", 'time: invalid duration "abc"'],
    ["1h5", 'time: missing unit in duration "1h5"'],
  ])("%s fails with Go's message", (input, message) => {
    expect(() => parseDurationSecond(input)).toThrow(message);
  });
});

describe("formatGoDuration (time.Duration.String)", () => {
  it.each([
    [0, "0s"],
    [1, "1s"],
    [60, "1m0s"],
    [1800, "30m0s"],
    [3600, "1h0m0s"],
    [43_200, "12h0m0s"],
    [5430, "1h30m30s"],
    [2_764_800, "768h0m0s"],
    [0.5, "500ms"],
    [1.5, "1.5s"],
  ])("%d s → %s", (seconds, text) => {
    expect(formatGoDuration(seconds)).toBe(text);
  });
});

describe("humanDuration (framework.humanDuration)", () => {
  it.each([
    [3600, "1h"],
    [5400, "1h30m"],
    [600, "10m"],
    [598, "9m58s"],
    [45, "45s"],
    [3630, "1h30s"],
    [2_793_391, "775h56m31s"],
    [0, "0s"],
  ])("%d s → %s", (seconds, text) => {
    expect(humanDuration(seconds)).toBe(text);
  });

  test.prop([fc.integer({ min: 1, max: 10_000_000 })])("round-trips through Go's parser", (seconds) => {
    expect(Number(parseGoDurationNanos(humanDuration(seconds))) / 1e9).toBe(seconds);
  });
});
