/**
 * `aws/config`: one `[profile <name>]` per credential whose `credential_process` prints `<name>.json`,
 * plus `endpoint_url` and `region`. No `[default]` section on purpose: a default profile with a
 * credential_process would come before the container endpoint in botocore's chain (`credentials.py`
 * create_credential_resolver, botocore 1.43)
 * and shadow the endpoint the injector configures for the default credential.
 */
import { join } from "node:path";
import type { CredentialSpec } from "./config.js";
import { singleLine } from "./published-credential.js";

export function renderAwsConfig(specs: readonly CredentialSpec[], outputDir: string): string {
  const sections = specs.map((spec) => {
    const lines = [`[profile ${spec.name}]`, `credential_process = /bin/cat ${singleLine(join(outputDir, `${spec.name}.json`), "outputDir")}`];
    if (spec.endpoint !== undefined) lines.push(`endpoint_url = ${singleLine(spec.endpoint, `credentials.${spec.name}.endpoint`)}`);
    if (spec.region !== undefined) lines.push(`region = ${singleLine(spec.region, `credentials.${spec.name}.region`)}`);
    return lines.join("\n");
  });
  return `# Written by avi-agent. Use with AWS_CONFIG_FILE and --profile/AWS_PROFILE <name>.\n${sections.join("\n\n")}\n`;
}
