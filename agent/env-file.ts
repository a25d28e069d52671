/**
 * `<name>.env`: `KEY=value` lines for `set -a; . <file>; set +a`. Values that a POSIX shell would
 * split or expand are single-quoted; AWS keys and tokens (base64: letters, digits, `+/=`) never are,
 * so docker-style env-file readers see the same bytes.
 */
import type { PublishedCredential } from "./published-credential.js";
import { singleLine } from "./published-credential.js";

function shellValue(value: string): string {
  return /^[A-Za-z0-9_./:+=@%,-]*$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

export function renderEnvFile({ spec, credential }: PublishedCredential): string {
  const vars: [string, string | undefined][] = [
    ["AWS_ACCESS_KEY_ID", credential.accessKeyId],
    ["AWS_SECRET_ACCESS_KEY", credential.secretAccessKey],
    ["AWS_SESSION_TOKEN", credential.sessionToken === "" ? undefined : credential.sessionToken],
    ["AWS_ENDPOINT_URL_S3", spec.endpoint],
    ["AWS_REGION", spec.region],
  ];
  return vars
    .filter((v): v is [string, string] => v[1] !== undefined)
    .map(([k, v]) => `${k}=${shellValue(singleLine(v, k))}\n`)
    .join("");
}
