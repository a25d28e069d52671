/**
 * The loopback endpoint's bearer token: random per pod. Normally the agent makes it at start and
 * writes it to the `endpoint-token` file. With the admin setting `injection.endpointTokenEnv` the
 * webhook makes it instead and hands the same value to the app containers
 * (`AWS_CONTAINER_AUTHORIZATION_TOKEN`, for SDKs that cannot read the token file, e.g. botocore < 1.32)
 * and to the agent (ENDPOINT_TOKEN_ENV, kept out of AVI_AGENT_CONFIG, which carries no secrets).
 */
import { randomBytes } from "node:crypto";
import { ENDPOINT_TOKEN_ENV } from "./config.js";

/** 32 random bytes, base64url: 43 characters, nothing a header or an env file must escape. */
export function newEndpointToken(): string {
  return randomBytes(32).toString("base64url");
}

/** base64url of at least 24 random bytes (32 characters): anything shorter is too guessable. */
const ENDPOINT_TOKEN = /^[A-Za-z0-9_-]{32,512}$/;

export class EndpointTokenError extends Error {
  override readonly name = "EndpointTokenError";
}

/**
 * The token the agent must serve with: ENDPOINT_TOKEN_ENV when set (validated; the error never
 * repeats the value), else undefined (the agent makes its own).
 */
export function endpointTokenFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const value = env[ENDPOINT_TOKEN_ENV];
  if (value === undefined) return undefined;
  if (!ENDPOINT_TOKEN.test(value)) {
    throw new EndpointTokenError(
      `${ENDPOINT_TOKEN_ENV} must be 32-512 characters of base64url (A-Z a-z 0-9 - _), got ${value.length} characters` +
        `${/^[A-Za-z0-9_-]*$/.test(value) ? "" : " including others"}; it is set by the injector (settings injection.endpointTokenEnv): re-create the pod, or unset it to let the agent make its own`,
    );
  }
  return value;
}
