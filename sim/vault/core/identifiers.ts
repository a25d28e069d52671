/**
 * Shapes of the identifiers Vault hands out (`vault/token_store.go`, `vault/expiration.go`, Vault ≥ 1.10): `hvs.` service tokens of about 95
 * characters, `hvb.` batch tokens, 24-character accessors, lease IDs `<request path>/<24 base62>`, UUIDs.
 */
import { randomBytes, randomInt, randomUUID } from "node:crypto";

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE64URL = `${BASE62}-_`;

function randomFrom(alphabet: string, length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return out;
}

export const base62 = (length: number): string => randomFrom(BASE62, length);

/** A service token: `hvs.` + a protobuf-looking base64url body (95 characters in all). */
export const serviceToken = (): string => `hvs.CAESI${randomFrom(BASE64URL, 86)}`;

/** A batch token: `hvb.` + a longer opaque body (batch tokens carry their encrypted entry). */
export const batchToken = (): string => `hvb.AAAAAQ${randomFrom(BASE64URL, 128)}`;

/** A dev-mode root token, as `vault server -dev` prints it: `hvs.` + 24 characters. */
export const rootToken = (): string => `hvs.${base62(24)}`;

export const accessor = (): string => base62(24);

export const leaseSuffix = (): string => base62(24);

export const uuid = (): string => randomUUID();

/** `<type>_<8 hex>` mount accessors, e.g. `auth_kubernetes_1b2c3d4e`. */
export const mountAccessor = (prefix: string): string => `${prefix}_${randomBytes(4).toString("hex")}`;
