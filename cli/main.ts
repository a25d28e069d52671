// The product CLI (dist/avi.js, the image's entrypoint): agent, webhook, inject, version.
// Simulators and the demo live in the dev CLI (cli/dev-main.ts → dist/avi-dev.js), never in the image.
import { runCli } from "./dispatch.js";
import { productCommands } from "./product-commands.js";

runCli("avi", productCommands, process.argv.slice(2));
