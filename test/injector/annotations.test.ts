import { describe, expect, it } from "vitest";
import { injectSwitch, parseAnnotations } from "../../injector/annotations.js";

const on = { "airflow-vault.io/inject": "true" };

function errors(annotations: Record<string, unknown>): string[] {
  const result = parseAnnotations(annotations);
  return "errors" in result ? result.errors : [];
}

describe("annotations", () => {
  it("parses every documented annotation", () => {
    expect(
      parseAnnotations({
        ...on,
        "airflow-vault.io/credentials": " a , b ",
        "airflow-vault.io/role": "etl",
        "airflow-vault.io/default-credential": "b",
        "airflow-vault.io/mode": "init",
        "airflow-vault.io/containers": "base,worker",
        "airflow-vault.io/airflow-connections": "TRUE",
        "airflow-vault.io/revoke-on-exit": "false",
        "other.io/x": "ignored",
      }),
    ).toEqual({
      profiles: ["a", "b"],
      adHoc: [],
      role: "etl",
      defaultCredential: "b",
      mode: "init",
      containers: ["base", "worker"],
      airflowConnections: true,
      revokeOnExit: false,
    });
  });

  it("defaults", () => {
    expect(parseAnnotations(on)).toEqual({ profiles: [], adHoc: [], airflowConnections: false, revokeOnExit: true });
  });

  it("reports every problem, each naming its annotation", () => {
    const found = errors({
      ...on,
      "airflow-vault.io/credentials": "a,,b",
      "airflow-vault.io/containers": "base,base",
      "airflow-vault.io/revoke-on-exit": "no",
      "airflow-vault.io/role": "two words",
      "airflow-vault.io/injcet": "true",
      "airflow-vault.io/credential.x.pth": "aws/x",
      "airflow-vault.io/credential.X.path": "aws/x",
      "airflow-vault.io/credential.y.ttl": "1h",
    });
    expect(found).toEqual([
      'airflow-vault.io/injcet: unknown annotation (did you mean "inject"?); see the annotation reference in README.md',
      'airflow-vault.io/credential.x.pth: unknown credential field "pth" (did you mean "path"?); fields: path, format, endpoint, region, conn-id, ttl, refresh-interval',
      "airflow-vault.io/credential.X.path: credential name \"X\" must be 1-63 lower-case letters, digits, '-' or '_', starting and ending with a letter or digit",
      'airflow-vault.io/credentials: "a,,b" has an empty entry; write a comma-separated list like "a,b"',
      'airflow-vault.io/containers: "base" is listed twice',
      "airflow-vault.io/role: \"two words\" must be a single name (letters, digits, '_', '.', '@', '-')",
      'airflow-vault.io/revoke-on-exit: "no" is not "true" or "false"',
      'airflow-vault.io/credential.y.path: is required for the ad-hoc credential "y" (a Vault read path such as "aws/sts/etl")',
    ]);
  });

  it("ad-hoc credentials are validated by the agent's credential schema and sorted by name", () => {
    const result = parseAnnotations({
      ...on,
      "airflow-vault.io/credential.zeta.path": "secret/data/z",
      "airflow-vault.io/credential.zeta.format": "kv",
      "airflow-vault.io/credential.alpha.path": "aws/sts/alpha",
      "airflow-vault.io/credential.alpha.endpoint": "https://s3.example.com",
      "airflow-vault.io/credential.alpha.conn-id": "s3_alpha",
    });
    expect(result).toMatchObject({
      adHoc: [
        { name: "alpha", path: "aws/sts/alpha", format: "aws", endpoint: "https://s3.example.com", airflowConnId: "s3_alpha" },
        { name: "zeta", path: "secret/data/z", format: "kv" },
      ],
    });
    expect(errors({ ...on, "airflow-vault.io/credential.a.path": "/v1/aws/x", "airflow-vault.io/credential.a.ttl": "soon" })).toEqual([
      'airflow-vault.io/credential.a.path: must be a Vault API path of plain segments (no leading "/" or "v1/", no "." or "..", no "%", "\\", "?", "#" or spaces), e.g. "aws/sts/etl"',
      'airflow-vault.io/credential.a.ttl: invalid duration "soon": use a number of seconds or Go form like "90s", "15m", "1h30m"',
    ]);
    expect(errors({ ...on, "airflow-vault.io/credentials": "a", "airflow-vault.io/credential.a.path": "aws/x" })[0]).toMatch(/"a" is also listed in airflow-vault.io\/credentials/);
  });

  it("non-string values (unquoted YAML) are named", () => {
    expect(errors({ ...on, "airflow-vault.io/revoke-on-exit": false })).toEqual(['airflow-vault.io/revoke-on-exit: must be a string; quote the value in YAML (e.g. "false")']);
  });

  it("injectSwitch", () => {
    expect(injectSwitch({})).toEqual({ on: false, reason: "no airflow-vault.io/inject annotation" });
    expect(injectSwitch(on)).toEqual({ on: true });
    expect(injectSwitch({ "airflow-vault.io/inject": " False " })).toEqual({ on: false, reason: 'airflow-vault.io/inject is "false"' });
  });
});
