/**
 * Self-issued TLS with several replicas against the kube-apiserver simulator (real client-node, real
 * HTTPS): one Secret, one CA, caBundle in sync; rotation with overlap while admission requests stream
 * through the API server's admission path, whose caBundle comes from the stored
 * MutatingWebhookConfiguration as the real API server's does.
 */
import { X509Certificate } from "node:crypto";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { af3WorkerPod, annotate } from "../support/fixtures.js";
import { MWC, NAMESPACE, SECRETS, TLS_SECRET, WEBHOOK_CONFIGURATION, startClusterEnv, type ClusterEnv, type Replica } from "../support/cluster-env.js";
import { planRotation, DEFAULT_TIMING } from "../../webhook/self-tls/rotation-plan.js";
import { readTlsSecret, splitPemBundle, type TlsSecretState } from "../../webhook/self-tls/tls-secret.js";
import type { SecretObject } from "../../webhook/kube/api.js";

let env: ClusterEnv;
beforeEach(async () => {
  env = await startClusterEnv();
});
afterEach(async () => {
  await env.close();
});

const secretState = (): TlsSecretState => {
  const state = readTlsSecret(env.sim.rest.store.get(SECRETS, NAMESPACE, TLS_SECRET) as unknown as SecretObject);
  if ("invalid" in state) throw new Error(state.invalid);
  return state;
};
const caBundle = (): string[] => {
  const hooks = env.sim.rest.store.get(MWC, undefined, WEBHOOK_CONFIGURATION)["webhooks"] as { clientConfig: { caBundle?: string } }[];
  return splitPemBundle(Buffer.from(hooks[0]?.clientConfig.caBundle ?? "", "base64").toString("utf8"));
};
const fingerprint = (pem: string): string => new X509Certificate(pem).fingerprint256;
const servedBy = (r: Replica): string => fingerprint(String(r.tls.current()?.options.cert));

describe("planRotation (pure)", () => {
  const day = 86_400_000;
  const state = (extra: Partial<TlsSecretState> = {}): TlsSecretState => ({
    serving: { certPem: "c", keyPem: "k", notBefore: 0, notAfter: 90 * day },
    trusted: ["ca1"],
    ...extra,
  });
  it("waits while fresh, stages after 2/3 of the lifetime, re-issues once expired", () => {
    expect(planRotation(state(), 10 * day, true, DEFAULT_TIMING)).toMatchObject({ kind: "wait", until: 60 * day });
    expect(planRotation(state(), 60 * day, true, DEFAULT_TIMING)).toEqual({ kind: "stage" });
    expect(planRotation(state(), 90 * day, true, DEFAULT_TIMING)).toMatchObject({ kind: "issue" });
  });
  it("promotes only when the caBundle has the new CA and propagation has passed; retires later", () => {
    const staged = state({ trusted: ["ca1", "ca2"], next: { certPem: "n", keyPem: "nk" }, stagedAt: 60 * day });
    expect(planRotation(staged, 61 * day, false, DEFAULT_TIMING).kind).toBe("wait");
    expect(planRotation(staged, 60 * day + 1000, true, DEFAULT_TIMING)).toMatchObject({ kind: "wait", until: 60 * day + DEFAULT_TIMING.propagationMs });
    expect(planRotation(staged, 60 * day + DEFAULT_TIMING.propagationMs, true, DEFAULT_TIMING)).toEqual({ kind: "promote" });
    const promoted = state({ trusted: ["ca2", "ca1"], promotedAt: 61 * day });
    expect(planRotation(promoted, 61 * day + 1, true, DEFAULT_TIMING).kind).toBe("wait");
    expect(planRotation(promoted, 61 * day + DEFAULT_TIMING.propagationMs, true, DEFAULT_TIMING)).toEqual({ kind: "retire" });
  });
});

it("three replicas starting at once end with one Secret, one CA, and caBundle = that CA", async () => {
  const replicas = await Promise.all([env.startReplica(), env.startReplica(), env.startReplica()]);
  const state = secretState();
  expect(state.trusted).toHaveLength(1);
  expect(caBundle().map(fingerprint)).toEqual(state.trusted.map(fingerprint));
  expect(env.sim.rest.store.list(SECRETS, NAMESPACE).map((s) => s.metadata.name)).toEqual([TLS_SECRET]);
  // Everyone serves the Secret's certificate (signed by that CA).
  await vi.waitFor(() => expect(replicas.map(servedBy)).toEqual(replicas.map(() => fingerprint(state.serving.certPem))), { timeout: 5000, interval: 20 });
  expect(new X509Certificate(state.serving.certPem).checkIssued(new X509Certificate(state.trusted[0]!))).toBe(true);
  // Exactly one create landed; the other replicas lost the race and adopted the Secret.
  const creates = env.sim.rest.requests().filter((r) => r.verb === "create" && r.path.endsWith("/secrets"));
  expect(creates.filter((r) => r.status === 201)).toHaveLength(1);
  expect(creates.length).toBeGreaterThanOrEqual(1);
  // The Secret is owned by the webhook configuration (deleted with it).
  const owner = env.sim.rest.store.get(SECRETS, NAMESPACE, TLS_SECRET).metadata.ownerReferences as { kind: string; name: string }[];
  expect(owner).toEqual([expect.objectContaining({ kind: "MutatingWebhookConfiguration", name: WEBHOOK_CONFIGURATION })]);
  // An API server calling through the stored caBundle is served.
  const harness = env.sim.admission({ configuration: WEBHOOK_CONFIGURATION, dial: replicas.map((r) => ({ host: "127.0.0.1", port: r.port })) });
  for (let i = 0; i < 6; i++) expect((await harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" })).allowed).toBe(true);
});

it("rotates under load with zero TLS failures seen by the API server, with overlapping CAs", async () => {
  const replicas = await Promise.all([env.startReplica(), env.startReplica(), env.startReplica()]);
  const harness = env.sim.admission({ configuration: WEBHOOK_CONFIGURATION, dial: replicas.map((r) => ({ host: "127.0.0.1", port: r.port })) });
  const failures: string[] = [];
  let requests = 0;
  let running = true;
  const loop = async (): Promise<void> => {
    while (running) {
      const outcome = await harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
      requests++;
      if (!outcome.allowed) failures.push(outcome.message);
    }
  };
  const loops = [loop(), loop(), loop(), loop()];
  const reconcileAll = (): Promise<unknown> => Promise.all(replicas.map((r) => r.tls.reconcile()));
  const allServe = async (pem: string): Promise<void> =>
    vi.waitFor(() => expect(replicas.map(servedBy)).toEqual(replicas.map(() => fingerprint(pem))), { timeout: 5000, interval: 10 });
  const steady = async (): Promise<void> => {
    const before = requests;
    await vi.waitFor(() => expect(requests).toBeGreaterThan(before + 15), { timeout: 10_000, interval: 10 });
  };

  const ROTATIONS = 3;
  const servedCas: string[] = [fingerprint(secretState().trusted[0]!)];
  try {
    await steady();
    for (let i = 0; i < ROTATIONS; i++) {
      const old = secretState();
      env.now = Math.max(env.now, old.serving.notBefore + (old.serving.notAfter - old.serving.notBefore) * DEFAULT_TIMING.renewFraction) + 1;
      await reconcileAll(); // stage (+ caBundle = old + new)
      const staged = secretState();
      expect(staged.next).toBeDefined();
      expect(caBundle()).toHaveLength(2);
      await steady();
      await reconcileAll(); // nothing yet: propagation time has not passed
      expect(secretState().next).toBeDefined();

      env.now += DEFAULT_TIMING.propagationMs;
      await reconcileAll(); // promote: serve the new certificate, still trust both
      const promoted = secretState();
      expect(promoted.next).toBeUndefined();
      expect(promoted.serving.certPem).toBe(staged.next?.certPem);
      expect(caBundle()).toHaveLength(2);
      await allServe(promoted.serving.certPem);
      await steady();

      env.now += DEFAULT_TIMING.propagationMs;
      await reconcileAll(); // retire the old CA
      expect(secretState().trusted).toHaveLength(1);
      expect(caBundle().map(fingerprint)).toEqual([fingerprint(promoted.trusted[0]!)]);
      expect(caBundle().map(fingerprint)).not.toContain(fingerprint(old.trusted[0]!));
      servedCas.push(fingerprint(promoted.trusted[0]!));
      await steady();
    }
  } finally {
    running = false;
    await Promise.all(loops);
  }
  console.info(`self-issued TLS: ${requests} admission requests over ${ROTATIONS} rotations through 3 replicas, ${failures.length} failures`);
  expect(failures).toEqual([]);
  expect(new Set(servedCas).size).toBe(ROTATIONS + 1);
  const values = (await Promise.all(replicas.map(async (r) => (await r.metrics.registry.getSingleMetric("avi_webhook_self_tls_steps_total")?.get())?.values ?? []))).flat();
  const total = (step: string): number =>
    values.filter((v) => v.labels["step"] === step && v.labels["result"] === "ok").reduce((a, v) => a + v.value, 0);
  for (const step of ["stage", "promote", "retire"]) expect(total(step)).toBe(ROTATIONS);
});

it("repairs a caBundle reset (a helm upgrade rendering it empty) and replaces an unusable Secret", async () => {
  const [replica] = await Promise.all([env.startReplica()]);
  const mwc = env.sim.rest.store.get(MWC, undefined, WEBHOOK_CONFIGURATION);
  (mwc["webhooks"] as { clientConfig: Record<string, unknown> }[])[0]!.clientConfig["caBundle"] = "";
  env.sim.rest.store.update(MWC, undefined, WEBHOOK_CONFIGURATION, { ...mwc, metadata: { ...mwc.metadata, resourceVersion: "" } });
  // The webhook configuration watch triggers a reconcile by itself.
  await vi.waitFor(() => expect(caBundle()).toHaveLength(1), { timeout: 5000, interval: 20 });

  const secret = env.sim.rest.store.get(SECRETS, NAMESPACE, TLS_SECRET);
  env.sim.rest.store.update(SECRETS, NAMESPACE, TLS_SECRET, { ...secret, data: { "tls.crt": Buffer.from("garbage").toString("base64") } });
  await replica.tls.reconcile();
  const state = secretState();
  expect(caBundle().map(fingerprint)).toEqual(state.trusted.map(fingerprint));
  await vi.waitFor(() => expect(servedBy(replica)).toBe(fingerprint(state.serving.certPem)), { timeout: 5000, interval: 20 });
});
