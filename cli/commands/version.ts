import type { Command } from "../command.js";
import { AVI_VERSION } from "../version.js";

export const versionCommand: Command = {
  summary: "print the version",
  run() {
    process.stdout.write(`avi ${AVI_VERSION} (node ${process.version})\n`);
    return Promise.resolve(0);
  },
};
