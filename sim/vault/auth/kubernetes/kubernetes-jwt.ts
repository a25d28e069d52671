/**
 * Service-account JWT checks as the Kubernetes auth method runs them (vault-plugin-auth-kubernetes v0.24.1 `path_login.go`
 * parseAndValidateJWT, through
 * `hashicorp/cap` `ValidateAllowMissingIatNbfExp`): signature (only with `pem_keys`; otherwise parse
 * only), algorithm, issuer, audience, then nbf/exp/iat with 60 s clock skew; a missing `exp` means
 * 150 s after iat/nbf; tokens with none of the three (legacy secret tokens) pass the time checks.
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { compactVerify } from "jose";

export const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512", "PS256", "PS384", "PS512"];
const SKEW_MS = 60_000;
const DEFAULT_LEEWAY_S = 150;

export interface JwtExpectations {
  /** Current sim time, epoch ms. */
  readonly now: number;
  /** Keys from `pem_keys`; empty = do not verify the signature. */
  readonly publicKeys: readonly KeyObject[];
  readonly issuer?: string;
  readonly audience?: string;
}

/** Parse `pem_keys` entries (public keys or certificates); RSA and ECDSA only, as the plugin accepts. */
export function parsePemKey(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    throw new Error("data does not contain any valid RSA or ECDSA public keys");
  }
  if (key.asymmetricKeyType !== "rsa" && key.asymmetricKeyType !== "ec") throw new Error("data does not contain any valid RSA or ECDSA public keys");
  return key;
}

function decodeSegment(segment: string): unknown {
  return JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
}

/** go-jose's `ParseSigned` + unverified claims, restricted to the allowed algorithms. */
function parseUnverified(jwt: string): Record<string, unknown> {
  const parts = jwt.split(".");
  if (parts.length !== 3) throw new Error("go-jose/go-jose: compact JWS format must have three parts");
  let header: unknown;
  let payload: unknown;
  try {
    header = decodeSegment(parts[0]!);
    payload = decodeSegment(parts[1]!);
  } catch (err) {
    throw new Error(`invalid character in token: ${(err as Error).message}`, { cause: err });
  }
  const alg = typeof header === "object" && header !== null ? (header as { alg?: unknown }).alg : undefined;
  if (typeof alg !== "string" || !ALLOWED_ALGORITHMS.includes(alg)) {
    throw new Error(`go-jose/go-jose: unexpected signature algorithm ${JSON.stringify(alg)}; expected ${JSON.stringify(ALLOWED_ALGORITHMS)}`);
  }
  if (typeof payload !== "object" || payload === null || Array.isArray(payload)) throw new Error("go-jose/go-jose/jwt: expected claims to be a JSON object");
  return payload as Record<string, unknown>;
}

async function verifySignature(jwt: string, keys: readonly KeyObject[]): Promise<Record<string, unknown>> {
  if (keys.length === 0) return parseUnverified(jwt);
  parseUnverified(jwt);
  for (const key of keys) {
    try {
      const { payload } = await compactVerify(jwt, key, { algorithms: ALLOWED_ALGORITHMS });
      return JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch {
      // try the next key
    }
  }
  throw new Error("failed to verify id token signature");
}

function numericClaim(claims: Record<string, unknown>, name: string): number {
  const v = claims[name];
  if (v === undefined || v === null) return 0;
  if (typeof v !== "number") throw new Error(`json: cannot unmarshal ${typeof v} into Go struct field Claims.${name} of type jwt.NumericDate`);
  return Math.trunc(v);
}

export function audienceList(claims: Record<string, unknown>): string[] {
  const aud = claims.aud;
  if (typeof aud === "string") return [aud];
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === "string");
  return [];
}

/**
 * Validate and return the claims. Errors carry cap's texts; those starting with
 * `error verifying token signature` become a bare 403 `permission denied` at login.
 */
export async function validateServiceAccountJwt(jwt: string, expect: JwtExpectations): Promise<Record<string, unknown>> {
  let claims: Record<string, unknown>;
  try {
    claims = await verifySignature(jwt, expect.publicKeys);
  } catch (err) {
    throw new Error(`error verifying token signature: ${(err as Error).message}`, { cause: err });
  }
  if (expect.issuer !== undefined && expect.issuer !== "" && claims.iss !== expect.issuer) throw new Error("invalid issuer (iss) claim");
  if (expect.audience !== undefined && expect.audience !== "" && !audienceList(claims).includes(expect.audience)) {
    throw new Error("invalid audience (aud) claim: audience claim does not match any expected audience");
  }
  const iat = numericClaim(claims, "iat");
  let exp = numericClaim(claims, "exp");
  let nbf = numericClaim(claims, "nbf");
  if (iat === 0 && exp === 0 && nbf === 0) return claims;
  if (exp === 0) exp = Math.max(iat, nbf) + DEFAULT_LEEWAY_S;
  if (nbf === 0) nbf = iat !== 0 ? iat : exp - DEFAULT_LEEWAY_S;
  const now = expect.now;
  if (now + SKEW_MS < nbf * 1000) throw new Error("invalid not before (nbf) claim: token not yet valid");
  if (now - SKEW_MS > exp * 1000) throw new Error("invalid expiration time (exp) claim: token is expired");
  if (iat !== 0 && now + SKEW_MS < iat * 1000) throw new Error("invalid issued at (iat) claim: token issued in the future");
  return claims;
}
