/**
 * The agent against sim/vault over HTTP, on the simulator's clock running 720× real time (12 sim
 * minutes per second): Kubernetes login with a projected token the "kubelet" rotates, the AWS engine's
 * STS and IAM-user credentials and KV v2, three sim hours, then SIGTERM. What the agent sent is read from
 * the simulator's request log and lifecycle events; what it served is sampled from the endpoint.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig, type AgentConfig } from "../../agent/config.js";
import { fingerprint } from "../../agent/fingerprint.js";
import { startAgent, type RunningAgent } from "../../agent/start-agent.js";
import { createVaultClient, type VaultApi } from "../../agent/vault-client.js";
import { STAGE_POD, simTime, stageAgentConfig, startVaultStage, type VaultStage } from "../support/vault-stage.js";

const MIN = 60_000;
const SCALE = 720;

let stage: VaultStage | undefined;
let agent: RunningAgent | undefined;
afterEach(async () => {
  if (agent !== undefined) {
    agent.stop("test end");
    await agent.done;
    agent = undefined;
  }
  await stage?.stop();
  stage = undefined;
});

/** Records every secret value Vault hands the agent (tokens, keys), for the log scan. */
function recording(inner: VaultApi, secrets: Set<string>): VaultApi {
  const keep = (v: unknown): void => {
    if (typeof v === "string" && v.length >= 8) secrets.add(v);
  };
  return {
    ...inner,
    login: async (jwt, o) => {
      keep(jwt);
      const a = await inner.login(jwt, o);
      keep(a.clientToken);
      return a;
    },
    read: async (token, path, o) => {
      const s = await inner.read(token, path, o);
      keep(s.leaseId);
      const payload = (s.data?.["data"] ?? s.data) as Record<string, unknown> | null;
      for (const v of Object.values(payload ?? {})) keep(v);
      return s;
    },
  };
}

function config(s: VaultStage, credentials: unknown[]): AgentConfig {
  return parseAgentConfig(
    stageAgentConfig(s, credentials, {
      logLevel: "debug",
      // The grace runs on the agent's clock, here the simulator's: 30 sim minutes are 2.5 real seconds.
      shutdownGrace: "30m",
      context: { namespace: STAGE_POD.namespace, serviceAccount: STAGE_POD.serviceAccount, dagId: "etl", taskId: "load", runId: "scheduled__2026-05-01T00:00:00+00:00", tryNumber: "1" },
    }),
  );
}

/** The lease behind a credential's served version, found on the Vault side by the fingerprint the agent shows. */
function leaseOf(s: VaultStage, a: RunningAgent, name: string): string {
  const fp = a.machine.snapshot(s.vault.clock.now()).credentials.get(name)?.version?.lease;
  return s.vault.controls.leases().find((l) => fingerprint(l.leaseId) === fp)?.leaseId ?? "";
}

/** The agent's current Vault token, found on the Vault side by the accessor fingerprint the agent shows. */
function tokenAccessorOf(s: VaultStage, a: RunningAgent): string {
  const fp = a.machine.snapshot(s.vault.clock.now()).vault.token;
  return s.vault.controls.tokens().find((t) => fingerprint(t.accessor) === fp)?.accessor ?? "";
}

const realSleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The kubelet refreshes a projected token at 80 % of its life (48 of 60 minutes). */
function kubelet(s: VaultStage, issued: (jwt: string) => void): void {
  const rotate = (): void => {
    void s.rotateJwt().then(issued);
    s.vault.clock.schedule(s.vault.clock.now() + 48 * MIN, rotate);
  };
  s.vault.clock.schedule(s.vault.clock.now() + 48 * MIN, rotate);
}

describe("agent ↔ sim/vault (time-scaled)", () => {
  it(
    "three compressed hours: serves fresh credentials throughout, renews and rotates as planned, sends the required headers, revokes everything at SIGTERM, logs no secret",
    async () => {
      const s = (stage = await startVaultStage({ scale: SCALE, tokenTtl: "1h", tokenMaxTtl: "2h", stsTtl: "1h", iamLease: "1h", iamLeaseMax: "2h" }));
      const secrets = new Set<string>();
      const lines: string[] = [];
      const cfg = config(s, [
        { name: "etl", path: "aws/sts/etl", format: "aws", endpoint: "http://rgw.test:8080", region: "default", airflowConnId: "rgw_etl" },
        { name: "app", path: "aws/creds/app", format: "aws" },
        { name: "rgw", path: "secret/data/rgw", format: "kv" },
        { name: "minio", path: "minio/sts/etl", format: "minio", ttl: "1h" },
      ]);
      const time = simTime(s.vault.clock);
      const vault = recording(createVaultClient({ vault: cfg.vault, headers: { "X-Airflow-Dag-Id": "etl", "X-Kubernetes-Pod-Name": STAGE_POD.podName }, userAgent: "avi-test", transport: { now: () => time.now() } }), secrets);
      kubelet(s, (jwt) => secrets.add(jwt));
      const start = s.vault.clock.now();
      agent = await startAgent(cfg, { time, vault, logger: pino({ level: "debug" }, { write: (l: string) => lines.push(l) }), pod: { name: STAGE_POD.podName, namespace: STAGE_POD.namespace } });
      const a = agent;
      const token = a.endpointToken;

      const samples: { name: string; aheadMs: number; key: string; status: number }[] = [];
      let iamServedDeleted = 0;
      while (s.vault.clock.now() - start < 3 * 60 * MIN) {
        await realSleep(50);
        if (!a.machine.ready) continue;
        for (const name of ["etl", "app", "rgw", "minio"]) {
          const res = await fetch(`http://127.0.0.1:${a.endpointPort}/v1/credentials/${name}`, { headers: { authorization: token } });
          const body = (await res.json()) as { AccessKeyId: string; Expiration: string };
          const now = s.vault.clock.now();
          samples.push({ name, status: res.status, key: body.AccessKeyId, aheadMs: Date.parse(body.Expiration) - now });
          if (name === "app" && s.vault.controls.iamUsers().find((u) => u.accessKeyId === body.AccessKeyId)?.deletedAt !== undefined) iamServedDeleted++;
        }
      }
      const metrics = await (await fetch(`http://127.0.0.1:${a.healthPort}/metrics`)).text();
      expect(readFileSync(join(cfg.outputDir, "endpoint-token"), "utf8")).toBe(token);
      a.stop("SIGTERM");
      expect(await a.done).toBe(0);
      agent = undefined;
      await s.vault.controls.settled();

      // Served: always 200, never a deleted IAM user, never inside botocore's blocking window.
      expect(samples.length).toBeGreaterThan(400);
      expect(samples.filter((x) => x.status !== 200)).toEqual([]);
      expect(iamServedDeleted).toBe(0);
      expect(Math.min(...samples.map((x) => x.aheadMs))).toBeGreaterThan(10 * MIN);
      const ahead15 = samples.filter((x) => x.aheadMs > 15 * MIN).length / samples.length;
      expect(ahead15).toBeGreaterThan(0.97);
      expect(new Set(samples.filter((x) => x.name === "etl").map((x) => x.key)).size).toBeGreaterThanOrEqual(4);
      // The MinIO plugin's lease-less 1 h credentials are replaced on their `ttl` date like leased ones.
      expect(new Set(samples.filter((x) => x.name === "minio").map((x) => x.key)).size).toBeGreaterThanOrEqual(4);

      // Sent: every agent request carries X-Vault-Request and the audit headers; only login goes without a token.
      const requests = s.vault.requestLog.entries({}).filter((e) => e.path.startsWith("/v1/") && e.headers["user-agent"] === "avi-test");
      expect(requests.every((e) => e.headers["x-vault-request"] === "true" && e.headers["x-airflow-dag-id"] === "etl")).toBe(true);
      expect(requests.filter((e) => e.headers["x-vault-token"] === undefined).map((e) => e.path)).toEqual(requests.filter((e) => e.path.endsWith("/login")).map((e) => e.path));
      expect(requests.every((e) => e.status === 200 || e.status === 204 || e.status === 202)).toBe(true);
      const count = (glob: RegExp): number => requests.filter((e) => glob.test(e.path)).length;
      expect(count(/auth\/kubernetes\/login$/)).toBe(2);
      expect(count(/aws\/sts\/etl$/)).toBeGreaterThanOrEqual(4);
      expect(count(/aws\/sts\/etl$/)).toBeLessThanOrEqual(6);
      expect(count(/aws\/creds\/app$/)).toBeGreaterThanOrEqual(2);
      expect(count(/secret\/data\/rgw$/)).toBeGreaterThanOrEqual(34);
      expect(count(/secret\/data\/rgw$/)).toBeLessThanOrEqual(40);
      expect(count(/sys\/leases\/renew$/)).toBeGreaterThanOrEqual(2);
      expect(count(/minio\/sts\/etl$/)).toBeGreaterThanOrEqual(4);
      expect(count(/minio\/sts\/etl$/)).toBeLessThanOrEqual(6);

      // Revoked at the end: leases first, then the tokens; nothing of the agent's left active.
      expect(s.vault.controls.leases().filter((l) => l.kind === "secret")).toEqual([]);
      const endedAt = s.vault.clock.now();
      expect(s.vault.controls.tokens().filter((t) => t.path.startsWith("auth/kubernetes") && (t.expiresAt === null || Date.parse(t.expiresAt) > endedAt))).toEqual([]);
      const ends = s.vault.controls.events().filter((e) => e.reason === "sys/leases/revoke" || e.reason === "revoke-self");
      const lastLeaseRevoke = Math.max(...ends.filter((e) => e.reason === "sys/leases/revoke").map((e) => e.time));
      const firstSelfRevoke = Math.min(...ends.filter((e) => e.reason === "revoke-self").map((e) => e.time));
      expect(lastLeaseRevoke).toBeLessThanOrEqual(firstSelfRevoke);

      expect(metrics).toMatch(/avi_agent_vault_logins_total\{result="success"\} 2/);
      const log = lines.join("\n");
      expect(lines.length).toBeGreaterThan(20);
      expect([...secrets].filter((secret) => log.includes(secret))).toEqual([]);
    },
    60_000,
  );

  it(
    "faults over HTTP: Agent-listener mode (412 without the header), sealed Vault, dropped minting responses, rate limits, revocations behind its back — keeps serving, recovers, never lets a credential lapse",
    async () => {
      const s = (stage = await startVaultStage({ scale: SCALE, tokenTtl: "1h", tokenMaxTtl: "24h", stsTtl: "1h", iamLease: "1h", iamLeaseMax: "24h" }));
      s.vault.controls.setRequireRequestHeader(true);
      const cfg = config(s, [
        { name: "etl", path: "aws/sts/etl", format: "aws" },
        { name: "app", path: "aws/creds/app", format: "aws" },
      ]);
      const time = simTime(s.vault.clock);
      const lines: string[] = [];
      const vault = createVaultClient({ vault: cfg.vault, headers: {}, userAgent: "avi-test", transport: { now: () => time.now(), sleep: (ms) => realSleep(ms / SCALE) } });
      kubelet(s, () => undefined);
      agent = await startAgent(cfg, { time, vault, logger: pino({ level: "info" }, { write: (l: string) => lines.push(l) }) });
      const a = agent;
      const start = s.vault.clock.now();
      const at = (minutes: number): boolean => s.vault.clock.now() - start >= minutes * MIN;
      const steps: [number, () => void][] = [
        // A minting read whose answer is lost after Vault minted: not retried blindly; the lifecycle backs off.
        [1, () => s.vault.controls.addFault({ method: "GET", path: "aws/sts/*", action: { type: "drop" }, count: 1, when: "after" })],
        [10, () => s.vault.controls.revokeLease(leaseOf(s, a, "app"))],
        [38, () => s.vault.controls.seal()],
        [52, () => s.vault.controls.unseal()],
        [55, () => s.vault.controls.addFault({ path: "sys/leases/renew", action: { type: "rate-limit", retryAfterSeconds: 120 }, count: 2 })],
        [110, () => s.vault.controls.revokeToken({ accessor: tokenAccessorOf(s, a) })],
      ];
      const samples: { name: string; status: number; aheadMs: number; minute: number }[] = [];
      while (!at(150)) {
        await realSleep(40);
        while (steps.length > 0 && at(steps[0]![0])) steps.shift()![1]();
        if (!a.machine.ready) continue;
        for (const name of ["etl", "app"]) {
          const res = await fetch(`http://127.0.0.1:${a.endpointPort}/v1/credentials/${name}`, { headers: { authorization: a.endpointToken } });
          const body = (await res.json()) as { Expiration: string };
          samples.push({ name, status: res.status, aheadMs: Date.parse(body.Expiration) - s.vault.clock.now(), minute: (s.vault.clock.now() - start) / MIN });
        }
      }
      a.stop("SIGTERM");
      expect(await a.done).toBe(0);
      agent = undefined;

      const requests = s.vault.requestLog.entries({}).filter((e) => e.headers["user-agent"] === "avi-test");
      expect(requests.filter((e) => e.status === 412)).toEqual([]);
      expect(requests.filter((e) => e.status === 503).length).toBeGreaterThan(0);
      expect(requests.filter((e) => e.status === 429).length).toBe(2);
      // The dropped STS answer was not re-sent at once (the next STS read is a lifecycle retry, ≥ 1 s later).
      const sts = requests.filter((e) => e.path === "/v1/aws/sts/etl");
      const dropped = sts.findIndex((e) => e.status === "dropped");
      expect(dropped).toBeGreaterThanOrEqual(0);
      expect(sts[dropped + 1]!.time - sts[dropped]!.time).toBeGreaterThanOrEqual(1000);
      // The only gaps: a credential the agent has learnt is dead — `app` once its revoked lease (minute 10)
      // fails to renew, everything after the token was revoked behind its back (minute 110) — is answered
      // 503 for the moment the re-fetch takes (consumers retry), never served as if valid.
      const gaps = samples.filter((x) => x.status !== 200);
      expect(gaps.length).toBeLessThanOrEqual(4);
      expect(gaps.filter((x) => !(x.minute > 110 || (x.name === "app" && x.minute > 10)))).toEqual([]);
      expect(Math.min(...samples.filter((x) => x.status === 200).map((x) => x.aheadMs))).toBeGreaterThan(0);
      const text = lines.join("\n");
      expect(text).toMatch(/died with its Vault token/);
      expect(text).toMatch(/Vault is sealed/);
      expect(s.vault.controls.leases().filter((l) => l.kind === "secret")).toEqual([]);
    },
    60_000,
  );
});
