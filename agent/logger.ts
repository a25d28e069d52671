/**
 * Structured JSON logs (pino), one line per event, with the Airflow/pod context on every line.
 * Secrets never reach the logger: the lifecycle logs fingerprints (fingerprint.ts) and Vault's error
 * texts only. Redaction is the second line of defence for a field added by mistake.
 */
import pino, { type DestinationStream, type Logger } from "pino";

/** Field names that could carry a secret anywhere in a log object. */
const SECRET_KEYS = [
  "jwt",
  "token",
  "client_token",
  "clientToken",
  "secret",
  "secret_key",
  "secretAccessKey",
  "SecretAccessKey",
  "sessionToken",
  "session_token",
  "security_token",
  "SessionToken",
  "Token",
  "password",
  "authorization",
  "Authorization",
  "x-vault-token",
  "X-Vault-Token",
];

export const REDACT_PATHS = [...SECRET_KEYS, ...SECRET_KEYS.map((k) => `*.${k}`), ...SECRET_KEYS.map((k) => `*.*.${k}`)];

export function createLogger(level: string, base: Record<string, string>, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { component: "avi-agent", ...base },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
