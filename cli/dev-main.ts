// The development CLI (dist/avi-dev.js, checkout only): the product's commands plus the demo and the
// simulators, which import sim/ and test/ code the image must not carry.
import type { CommandTable } from "./dispatch.js";
import { runCli } from "./dispatch.js";
import { productCommands } from "./product-commands.js";

const devCommands: CommandTable = {
  ...productCommands,
  demo: { summary: "run the product end to end on this machine (Vault, webhook, agent, Ceph RGW when installed)", load: async () => (await import("./commands/demo.js")).demoCommand },
  sim: { summary: "run a test double: `avi sim vault` (dev/test only; dev CLI dist/avi-dev.js)", load: async () => (await import("./commands/sim.js")).simCommand },
};

runCli("avi", devCommands, process.argv.slice(2));
