/**
 * `avi demo` (`npm run demo`): the whole product on this machine in well under a minute. Vault (sim/vault,
 * or a real one at VAULT_ADDR), the kube-apiserver simulator, the built webhook with a self-signed CA, and
 * — when the Debian packages are installed — a throwaway Ceph RGW whose STS issues the credentials. The
 * sample Airflow worker pod goes through admission, runs under sim/kubelet (the agent exactly as
 * injected) with a boto3 task writing to RGW while the agent rotates its credentials. Everything it
 * starts is stopped on exit, on failure and on Ctrl-C/SIGTERM.
 *
 * This module is the command line (flags, signals); the run itself is cli/demo/run-demo.ts.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { parseDurationSeconds } from "../../agent/duration.js";
import { CEPH_APT_PACKAGES } from "../../test/e2e/ceph/ceph-rgw.js";
import { UsageError, type Command } from "../command.js";
import { DEMO_AUTH_MOUNT, DEMO_AWS_MOUNT } from "../demo/demo-vault.js";
import { Interruption } from "../demo/interruption.js";
import { ROTATIONS, runDemo } from "../demo/run-demo.js";

const help = (): string => `usage: avi demo [--keep] [--no-ceph] [--refresh-interval 10s]

Runs airflow-vault-injector end to end on this machine (loopback only, ~30 s): Vault, the API-server
simulator, the webhook, the sample Airflow worker pod (examples/ke-worker-pod.yaml) with the agent as
injected, and a boto3 task writing to Ceph RGW while the agent rotates its STS credentials.

  --keep      leave everything running after the checks and print how to poke at it; Ctrl-C cleans up
  --no-ceph   do not start Ceph RGW even when installed (also: AVI_DEMO_NO_CEPH=1); credentials are still
              issued, served and rotated (sim/vault's own STS), only the S3 writes are skipped
  --refresh-interval D  how often the agent replaces the credential (the profile's refreshInterval;
              default 10s, 2s to 5m); the demo waits for ${ROTATIONS} rotations

Vault: the built-in simulator, or a Vault you run when VAULT_ADDR and VAULT_TOKEN are set (it must reach
127.0.0.1; the demo adds the mounts ${DEMO_AWS_MOUNT}/ and auth/${DEMO_AUTH_MOUNT}/ and removes them at the end).
Ceph RGW: ${CEPH_APT_PACKAGES.join(" ")} (Debian); boto3: python3-boto3.
`;

/** The agent re-fetches a credential once it is this old (profile refreshInterval): rotations every ~10 s. */
const DEFAULT_REFRESH_INTERVAL = "10s";

/** The package root (holds examples/ and test/e2e/), found from this module's location in src or dist/chunks. */
export function packageRoot(from: string = fileURLToPath(import.meta.url)): string {
  let dir = dirname(from);
  for (;;) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "examples"))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error("cannot find the airflow-vault-injector checkout (examples/ is missing); run the demo from the repository");
    dir = parent;
  }
}

/** `--refresh-interval` checked: a duration from 2 s (rotations need time to show) to 5 min (the demo must end). */
function refreshInterval(value: string | undefined): string {
  const interval = value ?? DEFAULT_REFRESH_INTERVAL;
  let seconds: number;
  try {
    seconds = parseDurationSeconds(interval);
  } catch (err) {
    throw new UsageError(`--refresh-interval ${JSON.stringify(interval)}: ${(err as Error).message}`);
  }
  if (seconds < 2 || seconds > 300) throw new UsageError(`--refresh-interval ${interval}: use 2s to 5m (the demo waits for ${ROTATIONS} rotations)`);
  return interval;
}

export const demoCommand: Command = {
  summary: "run the product end to end on this machine (Vault, webhook, agent, Ceph RGW when installed)",
  async run(argv) {
    let values: { keep?: boolean; "no-ceph"?: boolean; "refresh-interval"?: string; help?: boolean };
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: { keep: { type: "boolean" }, "no-ceph": { type: "boolean" }, "refresh-interval": { type: "string" }, help: { type: "boolean", short: "h" } },
        strict: true,
        allowPositionals: false,
      }));
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${help()}`);
    }
    if (values.help === true) {
      process.stdout.write(help());
      return 0;
    }
    // sim/vault's STS client is the AWS SDK, whose notice about future Node versions is noise here.
    process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true";
    const noCeph = values["no-ceph"] === true || ["1", "true", "yes"].includes((process.env["AVI_DEMO_NO_CEPH"] ?? "").toLowerCase());
    const flags = { keep: values.keep === true, ceph: !noCeph, refreshInterval: refreshInterval(values["refresh-interval"]) };
    const root = packageRoot();
    const interruption = new Interruption();
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals++;
      if (signals > 1) {
        process.stderr.write(`avi demo: ${signal} again: exiting without waiting for cleanup (Ceph's watchdog still removes its cluster)\n`);
        process.exit(130);
      }
      interruption.signal(signal);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    try {
      return await runDemo(root, flags, interruption, (text) => process.stdout.write(text));
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
  },
};
