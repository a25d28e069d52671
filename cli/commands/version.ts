import { UsageError, type Command } from "../command.js";
import { AVI_VERSION } from "../version.js";

export const versionCommand: Command = {
  summary: "print the version",
  run(argv) {
    if (argv.includes("--help") || argv.includes("-h")) {
      process.stdout.write("usage: avi version\n\nPrints the version of avi and of the Node.js running it.\n");
      return Promise.resolve(0);
    }
    if (argv.length > 0) throw new UsageError(`version takes no arguments (got ${argv.join(" ")})`);
    process.stdout.write(`avi ${AVI_VERSION} (node ${process.version})\n`);
    return Promise.resolve(0);
  },
};
