/**
 * Vault response → credential per format (Vault api-docs/secret/aws, vault-plugin-secrets-kv,
 * the kula/ and jayxiong1/vault-plugin-secrets-minio plugins).
 */
import { describe, expect, it } from "vitest";
import { parseAgentConfig, type CredentialSpec } from "../../agent/config.js";
import { CredentialFormatError, parseExpiry, readCredential } from "../../agent/credential-format.js";
import type { VaultSecret } from "../../agent/vault-responses.js";

const NOW = Date.UTC(2026, 4, 1, 10, 0, 0);

function spec(input: Record<string, unknown>): CredentialSpec {
  const cfg = parseAgentConfig({
    version: 1,
    mode: "sidecar",
    vault: { address: "https://vault:8200", role: "r" },
    credentials: [{ name: "c", path: "aws/sts/etl", format: "aws", ...input }],
    context: { namespace: "n", serviceAccount: "s" },
  });
  return cfg.credentials[0] as CredentialSpec;
}

function secret(data: Record<string, unknown> | null, lease: Partial<VaultSecret> = {}): VaultSecret {
  return { leaseId: "", leaseDurationS: 0, renewable: false, warnings: [], data, ...lease };
}

describe("aws format", () => {
  it("reads STS keys, preferring session_token over the deprecated security_token", () => {
    const r = readCredential(spec({}), secret({ access_key: "ASIA1", secret_key: "s", security_token: "old", session_token: "new", arn: "a", ttl: 3599 }), NOW);
    expect(r.credential).toEqual({ accessKeyId: "ASIA1", secretAccessKey: "s", sessionToken: "new" });
    expect(r.payloadExpiresAt).toBeUndefined();
  });

  it("falls back to security_token (Vault < 1.16) and reads iam_user keys with null tokens as static keys", () => {
    expect(readCredential(spec({}), secret({ access_key: "A", secret_key: "s", security_token: "t" }), NOW).credential.sessionToken).toBe("t");
    expect(readCredential(spec({}), secret({ access_key: "AKIA", secret_key: "s", security_token: null, session_token: null }), NOW).credential.sessionToken).toBe("");
  });

  it("names missing fields and the fields present, never values", () => {
    let message = "";
    try {
      readCredential(spec({}), secret({ AccessKey: "AKIASECRETVALUE", secret_key: "topsecret" }), NOW);
    } catch (err) {
      expect(err).toBeInstanceOf(CredentialFormatError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/no access key in field "access_key".*fields present: AccessKey, secret_key.*fields\.accessKey/);
    expect(message).not.toMatch(/AKIASECRETVALUE|topsecret/);
  });

  it("explains an empty response", () => {
    expect(() => readCredential(spec({}), secret(null), NOW)).toThrowError(/returned no data/);
  });
});

describe("minio format", () => {
  it("reads the plugin's camelCase keys and its date-string ttl", () => {
    const r = readCredential(spec({ format: "minio" }), secret({ accessKeyId: "MINIO", secretAccessKey: "s", sessionToken: "t", ttl: "2026-05-01 11:00:00" }), NOW);
    expect(r.credential).toEqual({ accessKeyId: "MINIO", secretAccessKey: "s", sessionToken: "t" });
    expect(r.payloadExpiresAt).toBe(Date.UTC(2026, 4, 1, 11, 0, 0));
  });

  it("accepts a ttl in seconds and keys without a session token", () => {
    const r = readCredential(spec({ format: "minio" }), secret({ accessKeyId: "M", secretAccessKey: "s", ttl: 900 }), NOW);
    expect(r.credential.sessionToken).toBe("");
    expect(r.payloadExpiresAt).toBe(NOW + 900_000);
  });
});

describe("kv format", () => {
  it("unwraps KV v2 data.data, reads KV v1 data as is", () => {
    const v2 = secret({ data: { access_key: "RGW", secret_key: "s" }, metadata: { version: 2, destroyed: false } });
    expect(readCredential(spec({ format: "kv", path: "secret/data/rgw" }), v2, NOW).credential.accessKeyId).toBe("RGW");
    const v1 = secret({ access_key: "RGW1", secret_key: "s1" }, { leaseDurationS: 2764800 });
    expect(readCredential(spec({ format: "kv", path: "kv/rgw" }), v1, NOW).credential.accessKeyId).toBe("RGW1");
  });

  it("honours field-name overrides, including an expiration field", () => {
    const s = spec({ format: "kv", path: "secret/data/rgw", fields: { accessKey: "user", secretKey: "pass", expiration: "not_after" } });
    const r = readCredential(s, secret({ data: { user: "U", pass: "P", not_after: "2026-05-02T00:00:00Z" }, metadata: {} }), NOW);
    expect(r.credential).toEqual({ accessKeyId: "U", secretAccessKey: "P", sessionToken: "" });
    expect(r.payloadExpiresAt).toBe(Date.UTC(2026, 4, 2));
    expect(() => readCredential(s, secret({ data: { user: "U", pass: "P", not_after: "soon" }, metadata: {} }), NOW)).toThrowError(/"not_after" is not a time/);
  });
});

describe("parseExpiry", () => {
  it.each([
    [3600, NOW + 3_600_000],
    ["3600", NOW + 3_600_000],
    ["1h", NOW + 3_600_000],
    ["2026-05-01T12:00:00Z", Date.UTC(2026, 4, 1, 12)],
    ["2026-05-01T14:00:00+02:00", Date.UTC(2026, 4, 1, 12)],
    ["2026-05-01 12:00:00", Date.UTC(2026, 4, 1, 12)],
    ["", undefined],
    [0, undefined],
    ["tomorrow", undefined],
  ])("%j", (input, expected) => {
    expect(parseExpiry(input, NOW)).toBe(expected);
  });
});
