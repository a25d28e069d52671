/**
 * `npm run chart:render -- [-f values.yaml]... [--set key=value]... [--namespace NS] [--release-name NAME]`:
 * prints the chart's manifests like `helm template` (see render.ts; not Helm itself).
 */
import { parseArgs } from "node:util";
import { renderChartText } from "./render.js";

const { values } = parseArgs({
  options: {
    values: { type: "string", short: "f", multiple: true },
    set: { type: "string", multiple: true },
    namespace: { type: "string", short: "n" },
    "release-name": { type: "string" },
    "api-versions": { type: "string", multiple: true },
  },
  strict: true,
});

try {
  process.stdout.write(
    await renderChartText({
      values: values.values ?? [],
      set: values.set ?? [],
      ...(values.namespace !== undefined && { namespace: values.namespace }),
      ...(values["release-name"] !== undefined && { releaseName: values["release-name"] }),
      apiVersions: values["api-versions"] ?? [],
    }),
  );
} catch (err) {
  process.stderr.write(`Error: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
