// The contract suite's real-Vault copies run only on the project's own opt-in variables: a VAULT_ADDR
// exported for a real cluster must never make the tests mount engines and write policies there.
import { afterEach, expect, it, vi } from "vitest";

async function realVaultWith(env: Record<string, string | undefined>): Promise<boolean> {
  for (const [k, v] of Object.entries(env)) vi.stubEnv(k, v);
  vi.resetModules();
  const target = await import("./support/target.js");
  return target.REAL_VAULT;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

it("ignores VAULT_ADDR/VAULT_TOKEN", async () => {
  expect(await realVaultWith({ VAULT_ADDR: "https://vault.prod.example:8200", VAULT_TOKEN: "hvs.x", AVI_REAL_VAULT_ADDR: undefined, AVI_REAL_VAULT_TOKEN: undefined })).toBe(false);
});

it("runs against a real Vault only with both AVI_REAL_VAULT_ADDR and AVI_REAL_VAULT_TOKEN", async () => {
  expect(await realVaultWith({ AVI_REAL_VAULT_ADDR: "http://127.0.0.1:8200", AVI_REAL_VAULT_TOKEN: undefined })).toBe(false);
  expect(await realVaultWith({ AVI_REAL_VAULT_ADDR: "http://127.0.0.1:8200", AVI_REAL_VAULT_TOKEN: "root" })).toBe(true);
});
