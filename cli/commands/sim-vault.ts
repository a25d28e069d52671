import { parseArgs } from "node:util";
import { UsageError, type Command } from "../command.js";
import { ListenAddressError, parseListenAddress } from "../../sim/vault/server/listen-address.js";
import { startVaultSim } from "../../sim/vault/server/vault-sim.js";

const HELP = `usage: avi sim vault [--listen 127.0.0.1:8200] [--root-token TOKEN] [--require-request-header] [--clock-scale N]

Runs the Vault HTTP API simulator: an in-memory, loopback-only stand-in for \`vault server -dev\`
for development and tests. It is not a Vault server and keeps nothing on disk.

  --listen ADDR               loopback host:port (default 127.0.0.1:8200; port 0 picks a free one)
  --root-token TOKEN          root token (default: generated and printed)
  --require-request-header    answer 412 without "X-Vault-Request: true" (Vault Agent/Proxy listener mode)
  --clock-scale N             run sim time N times faster than real time (0 freezes it; default 1)

Test controls live under /sim/ (root token required); see docs/vault-simulator.md.
`;

export const simVaultCommand: Command = {
  summary: "Vault HTTP API simulator (dev/test only)",
  async run(argv) {
    let values: { listen?: string; "root-token"?: string; "require-request-header"?: boolean; "clock-scale"?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: {
          listen: { type: "string" },
          "root-token": { type: "string" },
          "require-request-header": { type: "boolean" },
          "clock-scale": { type: "string" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${HELP}`);
    }
    if (values.help === true) {
      process.stdout.write(HELP);
      return 0;
    }
    const listen = values.listen ?? "127.0.0.1:8200";
    try {
      parseListenAddress(listen);
    } catch (err) {
      if (err instanceof ListenAddressError) throw new UsageError(`--listen: ${err.message}`);
      throw err;
    }
    const scaleText = values["clock-scale"];
    const scale = scaleText === undefined ? 1 : Number(scaleText);
    if (!Number.isFinite(scale) || scale < 0) throw new UsageError(`--clock-scale ${JSON.stringify(scaleText)}: use a number ≥ 0 (1 = real time, 60 = a minute per second, 0 = frozen)`);
    if (values["root-token"] === "") throw new UsageError("--root-token: must not be empty");

    const sim = await startVaultSim({
      listen,
      rootToken: values["root-token"],
      requireRequestHeader: values["require-request-header"] ?? false,
      clock: { scale },
    });
    const lines = [
      `avi sim vault listening on ${sim.address}`,
      "  development/test only: in memory, loopback only, not a Vault server",
      `  export VAULT_ADDR=${sim.address}`,
    ];
    // Like `vault server -dev`, print a generated root token: there is no other way to learn it.
    if (values["root-token"] === undefined) lines.push(`  export VAULT_TOKEN=${sim.rootToken}`);
    process.stdout.write(`${lines.join("\n")}\n`);

    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off("SIGINT", stop);
        process.off("SIGTERM", stop);
        resolve();
      };
      process.on("SIGINT", stop);
      process.on("SIGTERM", stop);
    });
    await sim.stop();
    return 0;
  },
};
