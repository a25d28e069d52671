/**
 * AWS-shaped credentials for the simulated IAM/STS: `AKIA…` (long-term) and `ASIA…` (temporary) access
 * key IDs of 20 characters, 40-character secret keys, and long base64 session tokens.
 */
import { randomBytes, randomInt } from "node:crypto";

const KEY_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

function pick(alphabet: string, n: number): string {
  let out = "";
  for (let i = 0; i < n; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const longTermAccessKeyId = (): string => `AKIA${pick(KEY_ID_ALPHABET, 16)}`;
export const temporaryAccessKeyId = (): string => `ASIA${pick(KEY_ID_ALPHABET, 16)}`;
export const secretAccessKey = (): string => pick(SECRET_ALPHABET, 40);
/** STS session tokens start `FwoGZXIvYXdzE` (base64 of a versioned blob) and run to a few hundred characters. */
export const sessionToken = (): string => `FwoGZXIvYXdzE${randomBytes(270).toString("base64")}`;
