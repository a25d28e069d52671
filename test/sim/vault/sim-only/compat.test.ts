// Each behaviour not confirmed upstream is a compat knob; these tests pin the defaults and prove the
// alternatives work (docs/vault-simulator.md lists how each is settled).
import { describe, expect, it } from "vitest";
import { startVaultSim, type CompatOptions } from "../../../../sim/vault/index.js";
import type { WireJson } from "../support/target.js";

async function withSim(compat: Partial<CompatOptions>, body: (call: (method: string, path: string, init?: { body?: unknown; token?: string | null; headers?: Record<string, string> }) => Promise<{ status: number; headers: Readonly<Record<string, string>>; body: WireJson }>) => Promise<void>): Promise<void> {
  const sim = await startVaultSim({ clock: { scale: 0 }, compat });
  try {
    await body(async (method, path, init = {}) => {
      const token = init.token === undefined ? sim.rootToken : init.token;
      const res = await sim.inject({ method, path, body: init.body, headers: { ...(token === null ? {} : { "X-Vault-Token": token }), ...init.headers } });
      return { status: res.status, headers: res.headers, body: res.body === "" ? undefined : (res.json() as WireJson) };
    });
  } finally {
    await sim.stop();
  }
}

describe("compat defaults and alternatives", () => {
  it("invalidTokenErrors: default order permission denied, invalid token; configurable", async () => {
    await withSim({}, async (call) => {
      expect((await call("GET", "/v1/auth/token/lookup-self", { token: "nope" })).body.errors[0]).toBe("2 errors occurred:\n\t* permission denied\n\t* invalid token\n\n");
    });
    await withSim({ invalidTokenErrors: ["invalid token", "permission denied"] }, async (call) => {
      expect((await call("GET", "/v1/auth/token/lookup-self", { token: "nope" })).body.errors[0]).toBe("2 errors occurred:\n\t* invalid token\n\t* permission denied\n\n");
    });
  });

  it("sysMountType: default system", async () => {
    await withSim({}, async (call) => {
      expect((await call("GET", "/v1/sys/policies/acl/default")).body.mount_type).toBe("system");
    });
    await withSim({ sysMountType: "" }, async (call) => {
      expect((await call("GET", "/v1/sys/policies/acl/default")).body.mount_type).toBe("");
    });
  });

  it("unknownRoute: default the no-handler message; empty gives {\"errors\":[]}", async () => {
    await withSim({}, async (call) => {
      const res = await call("GET", "/v1/nomount/x");
      expect(res.status).toBe(404);
      expect(res.body.errors[0]).toBe('1 error occurred:\n\t* no handler for route "nomount/x". route entry not found.\n\n');
    });
    await withSim({ unknownRoute: "empty" }, async (call) => {
      expect((await call("GET", "/v1/nomount/x")).body).toEqual({ errors: [] });
    });
  });

  it("requestHeaderError: the older single-quoted wording is available", async () => {
    await withSim({ requestHeaderError: "missing 'X-Vault-Request' header" }, async (call) => {
      await call("PUT", "/sim/agent-mode", { body: { require_request_header: true } });
      expect((await call("GET", "/v1/sys/health")).body).toEqual({ errors: ["missing 'X-Vault-Request' header"] });
    });
  });

  it("rateLimitHeaders: false sends the 429 without Retry-After/X-Ratelimit-*", async () => {
    await withSim({ rateLimitHeaders: false }, async (call) => {
      await call("POST", "/sim/faults", { body: { path: "*", action: { type: "rate-limit", retryAfterSeconds: 3 } } });
      const res = await call("GET", "/v1/sys/health");
      expect(res.status).toBe(429);
      expect(res.headers["retry-after"]).toBeUndefined();
    });
  });

  it("leaseRevokeSyncDefault: false makes a revoke or revoke-prefix without `sync` answer 202", async () => {
    await withSim({ leaseRevokeSyncDefault: false }, async (call) => {
      expect((await call("PUT", "/v1/sys/leases/revoke", { body: { lease_id: "a/b/c" } })).status).toBe(202);
      expect((await call("PUT", "/v1/sys/leases/revoke-prefix/a/b", { body: {} })).status).toBe(202);
      expect((await call("PUT", "/v1/sys/leases/revoke", { body: { lease_id: "a/b/c", sync: true } })).status).toBe(204);
    });
  });

  it("minioTimeZone: UTC by default; local formats the ttl date in the process's zone", async () => {
    const previous = process.env.TZ;
    process.env.TZ = "Asia/Tokyo";
    try {
      const ttlFor = async (zone: "UTC" | "local"): Promise<string> => {
        const sim = await startVaultSim({ clock: { scale: 0, start: Date.parse("2025-03-01T12:00:00Z") }, compat: { minioTimeZone: zone } });
        try {
          const h = { "X-Vault-Token": sim.rootToken };
          await sim.inject({ method: "POST", path: "/v1/sys/mounts/minio", headers: h, body: { type: "minio" } });
          await sim.inject({ method: "POST", path: "/v1/minio/roles/r", headers: h, body: { credential_type: "sts" } });
          return ((await sim.inject({ method: "GET", path: "/v1/minio/sts/r", headers: h })).json() as WireJson).data.ttl as string;
        } finally {
          await sim.stop();
        }
      };
      expect(await ttlFor("UTC")).toBe("2025-03-01 12:15:00");
      expect(await ttlFor("local")).toBe("2025-03-01 21:15:00");
    } finally {
      if (previous === undefined) delete process.env.TZ;
      else process.env.TZ = previous;
    }
  });
});
