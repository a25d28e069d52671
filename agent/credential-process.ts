/**
 * `<name>.json`: the `credential_process` v1 document (botocore/awscli `credential_process`, JS SDK
 * `fromProcess`), printed by `/bin/cat` from the aws/config profile. With `Expiration` present the SDKs
 * treat it as refreshable and re-run the process inside their refresh window (botocore `credentials.py`
 * ProcessProvider, 1.43; @aws-sdk/credential-provider-process).
 */
import { awsExpiration } from "./aws-time.js";
import type { PublishedCredential } from "./published-credential.js";

export function renderCredentialProcess({ credential, expiration }: PublishedCredential): string {
  const doc: Record<string, string | number> = {
    Version: 1,
    AccessKeyId: credential.accessKeyId,
    SecretAccessKey: credential.secretAccessKey,
  };
  if (credential.sessionToken !== "") doc["SessionToken"] = credential.sessionToken;
  doc["Expiration"] = awsExpiration(expiration);
  return `${JSON.stringify(doc, null, 2)}\n`;
}
