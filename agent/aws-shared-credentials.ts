/**
 * `aws/credentials`: an INI snapshot of every credential, one `[<name>]` section each, for tools
 * that can only read static keys. SDKs read this file once per session and never refresh it, so
 * it is a fallback, not the recommended path. No `[default]` section (see aws-config-file.ts).
 */
import type { PublishedCredential } from "./published-credential.js";
import { singleLine } from "./published-credential.js";

export function renderAwsSharedCredentials(published: readonly PublishedCredential[]): string {
  const sections = published.map(({ spec, credential }) => {
    const lines = [
      `[${spec.name}]`,
      `aws_access_key_id = ${singleLine(credential.accessKeyId, "access key")}`,
      `aws_secret_access_key = ${singleLine(credential.secretAccessKey, "secret key")}`,
    ];
    if (credential.sessionToken !== "") lines.push(`aws_session_token = ${singleLine(credential.sessionToken, "session token")}`);
    return lines.join("\n");
  });
  return `${sections.join("\n\n")}\n`;
}
