import { describe, expect, it } from "vitest";
import { UsageError } from "../../../cli/command.js";
import { externalVaultFromEnv, storageSkip } from "../../../cli/demo/demo-services.js";

describe("the demo's choices before it starts anything", () => {
  const all = { cephPackagesPresent: () => true, boto3Present: () => true, exists: () => true };

  it("Ceph RGW runs only when wanted, installed, boto3 importable and the task program present — first missing one named", () => {
    expect(storageSkip(true, "/repo/s3_loop.py", all)).toBeUndefined();
    expect(storageSkip(false, "/repo/s3_loop.py", all)).toEqual({ kind: "disabled" });
    expect(storageSkip(true, "/repo/s3_loop.py", { ...all, cephPackagesPresent: () => false, boto3Present: () => false })?.kind).toBe("no-packages");
    expect(storageSkip(true, "/repo/s3_loop.py", { ...all, boto3Present: () => false })).toEqual({ kind: "no-boto3", python: "/usr/bin/python3" });
    expect(storageSkip(true, "/repo/s3_loop.py", { ...all, exists: () => false })).toEqual({ kind: "no-task-program", path: "/repo/s3_loop.py" });
  });

  it("VAULT_ADDR selects an external Vault (trailing slashes dropped); without VAULT_TOKEN it is a usage error", () => {
    expect(externalVaultFromEnv({})).toBeUndefined();
    expect(externalVaultFromEnv({ VAULT_ADDR: "" })).toBeUndefined();
    expect(externalVaultFromEnv({ VAULT_ADDR: "http://127.0.0.1:8200//", VAULT_TOKEN: "t" })).toEqual({ address: "http://127.0.0.1:8200", rootToken: "t" });
    expect(() => externalVaultFromEnv({ VAULT_ADDR: "http://127.0.0.1:8200" })).toThrow(UsageError);
    expect(() => externalVaultFromEnv({ VAULT_ADDR: "http://127.0.0.1:8200", VAULT_TOKEN: "" })).toThrow(/VAULT_ADDR is set but VAULT_TOKEN is not/);
  });
});
