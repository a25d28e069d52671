// `avi sim vault` argument handling (the running server is exercised in test/e2e/sim-vault-cli.test.ts).
import { afterEach, describe, expect, it, vi } from "vitest";
import { UsageError } from "../../cli/command.js";
import { simCommand } from "../../cli/commands/sim.js";

afterEach(() => {
  vi.restoreAllMocks();
});

describe("avi sim", () => {
  it("lists the simulators with no argument (exit 2) and with --help (exit 0)", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    expect(await simCommand.run([])).toBe(2);
    expect(await simCommand.run(["--help"])).toBe(0);
    expect(String(out.mock.calls[0]?.[0])).toContain("vault");
  });

  it("names the available simulators for an unknown one", async () => {
    await expect(simCommand.run(["consul"])).rejects.toThrow(new UsageError('unknown simulator "consul"; available: vault'));
  });
});

describe("avi sim vault", () => {
  it("refuses a non-loopback listen address, saying why", async () => {
    await expect(simCommand.run(["vault", "--listen", "0.0.0.0:8200"])).rejects.toThrow(UsageError);
    await expect(simCommand.run(["vault", "--listen", "0.0.0.0:8200"])).rejects.toThrow(/loopback only/);
  });

  it("refuses unknown flags, a bad clock scale and an empty root token", async () => {
    await expect(simCommand.run(["vault", "--tls"])).rejects.toThrow(/Unknown option '--tls'/);
    await expect(simCommand.run(["vault", "--clock-scale", "fast"])).rejects.toThrow(/--clock-scale "fast": use a number ≥ 0/);
    await expect(simCommand.run(["vault", "--root-token", ""])).rejects.toThrow(/--root-token: must not be empty/);
  });

  it("prints its help", async () => {
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    expect(await simCommand.run(["vault", "--help"])).toBe(0);
    expect(String(out.mock.calls[0]?.[0])).toMatch(/development and tests/);
  });
});
