import { connect } from "node:tls";
import jsonpatch from "fast-json-patch";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { KEEP_ALIVE_TIMEOUT_MS } from "../../webhook/server.js";
import { buildPodReview } from "../../sim/apiserver/admission/review.js";
import {
  af3WorkerPod,
  annotate,
  helmChartPodTemplate,
  jsonFixture,
  kpoPodWithXcomSidecar,
  kubewardenReview,
  replicaSetPodReview,
  yamlFixture,
  type Obj,
} from "../support/fixtures.js";
import { TEST_SETTINGS, startWebhookEnv, type WebhookEnv } from "../support/webhook-env.js";

let env: WebhookEnv;
beforeAll(async () => {
  env = await startWebhookEnv();
});
afterAll(async () => {
  await env.close();
});

async function post(body: unknown, contentType = "application/json") {
  const res = await env.server.app.inject({ method: "POST", url: "/mutate?timeout=10s", headers: { "content-type": contentType }, payload: typeof body === "string" ? body : JSON.stringify(body) });
  return { status: res.statusCode, body: res.json<Obj>() };
}

/** An AdmissionReview as the API server builds it (sim), with a fixed uid and request overrides. */
function review(object: unknown, request: Obj = {}): Obj {
  const built = buildPodReview(object as Obj, { namespace: "airflow" });
  return { ...built, request: { ...built.request, uid: "7f0c3a2e-1111-2222-3333-444455556666", ...request } };
}

describe("POST /mutate through the API-server harness", () => {
  const cases: [string, () => Obj, string][] = [
    ["Airflow 3 KE worker pod", () => annotate(af3WorkerPod()), "airflow"],
    ["chart pod-template-file", () => helmChartPodTemplate(), "airflow"],
    ["KPO pod with XCom sidecar", () => annotate(kpoPodWithXcomSidecar()), "default"],
    ["ReplicaSet pod (generateName)", () => annotate((replicaSetPodReview()["request"] as Obj)["object"] as Obj), "test-gpqsgu-1"],
    // (privileged_init_container.json names its init container and its container both "nginx": the API server rejects it as is.)
    ["kubewarden kubectl-apply pod", () => annotate((kubewardenReview("no_privileged_containers.json")["request"] as Obj)["object"] as Obj), "default"],
  ];

  it.each(cases)("%s: admitted, valid, agent restricted, reinvocation adds nothing", async (_name, make, namespace) => {
    const outcome = await env.harness.admit(make(), { namespace });
    if (!outcome.allowed) throw new Error(outcome.message);
    expect(outcome.rounds).toHaveLength(2);
    expect(outcome.rounds[0]?.patch?.length).toBeGreaterThan(0);
    expect(outcome.rounds[1]?.patch).toBeUndefined();
    expect(outcome.addedViolations).toEqual([]);
    expect(((outcome.pod["metadata"] as Obj)["annotations"] as Obj)["airflow-vault.io/status"]).toBe("injected");
    expect(outcome.auditAnnotations["inject.airflow-vault.io/mode"]).toBe("sidecar");
  });

  it("a restricted namespace admits the injected PSS conformance pod", async () => {
    const harness = env.newHarness({ podSecurity: "restricted" });
    const outcome = await harness.admit(annotate(yamlFixture("k8s", "psa-restricted", "pass_base.yaml")), { namespace: "default" });
    expect(outcome.allowed).toBe(true);
  });

  it("uses request.namespace, also when object.metadata.namespace is empty (pre-1.24 servers)", async () => {
    const pod = annotate(af3WorkerPod());
    delete (pod["metadata"] as Obj)["namespace"];
    const outcome = await env.harness.admit(pod, { namespace: "airflow", blankObjectNamespace: true });
    if (!outcome.allowed) throw new Error(outcome.message);
    const config = JSON.parse(
      String(((((outcome.pod["spec"] as Obj)["initContainers"] as Obj[]).at(-1) as Obj)["env"] as Obj[])[0]?.["value"]),
    ) as { context: { namespace: string } };
    expect(config.context.namespace).toBe("airflow");
  });

  it("dry-run requests are answered the same way (sideEffects: None)", async () => {
    const outcome = await env.harness.admit(annotate(af3WorkerPod()), { namespace: "airflow", dryRun: true });
    expect(outcome.allowed).toBe(true);
  });

  it("a denial reaches the user with the annotation and the fix", async () => {
    const outcome = await env.harness.admit(annotate(af3WorkerPod(), { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio" }), { namespace: "airflow" });
    expect(outcome).toMatchObject({
      allowed: false,
      code: 400,
      message:
        'admission webhook "inject.airflow-vault.io" denied the request: airflow-vault.io/credentials: no credential profile "minio" (did you mean "minio-etl"?); profiles available to service account "airflow-worker" in namespace "airflow": minio-etl, archive',
    });
  });

  it("pods that do not ask for injection pass untouched", async () => {
    const outcome = await env.harness.admit(af3WorkerPod(), { namespace: "airflow" });
    expect(outcome.allowed && outcome.rounds[0]?.patch).toBeUndefined();
  });
});

describe("the AdmissionReview wire format", () => {
  it("answers the constructed ReplicaSet review: uid echoed, JSONPatch that applies to its object", async () => {
    const fixture = replicaSetPodReview();
    const request = fixture["request"] as Obj;
    request["object"] = annotate(request["object"] as Obj);
    const { status, body } = await post(fixture);
    expect(status).toBe(200);
    expect(body).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: request["uid"], allowed: true, patchType: "JSONPatch" } });
    const ops = JSON.parse(Buffer.from(String((body["response"] as Obj)["patch"]), "base64").toString("utf8")) as jsonpatch.Operation[];
    expect(jsonpatch.validate(ops, request["object"])).toBeUndefined();
  });

  it("tolerates every AdmissionReview field (kubernetes/api testdata) and leaves non-pods alone", async () => {
    const fixture = jsonFixture("k8s", "k8s-api-testdata", "admission.k8s.io.v1.AdmissionReview.json");
    const request = fixture["request"] as Obj;
    request["operation"] = "CREATE";
    const { status, body } = await post(fixture);
    expect(status).toBe(200);
    expect(body["response"]).toEqual({ uid: request["uid"], allowed: true });
  });

  it("refuses the v1beta1 review (kubernetes/api testdata): list only v1 in admissionReviewVersions", async () => {
    const { status, body } = await post(jsonFixture("k8s", "k8s-api-testdata", "admission.k8s.io.v1beta1.AdmissionReview.json"));
    expect(status).toBe(400);
    expect(String(body["error"])).toMatch(/apiVersion: must be "admission.k8s.io\/v1"/);
  });

  it.each([
    ["UPDATE", { operation: "UPDATE" }],
    ["a subresource", { subResource: "ephemeralcontainers" }],
    ["a non-pod", { kind: { group: "apps", version: "v1", kind: "Deployment" }, resource: { group: "apps", version: "v1", resource: "deployments" } }],
  ])("%s: allowed without a patch", async (_name, request) => {
    const { body } = await post(review(annotate(af3WorkerPod()), request));
    expect(body["response"]).toEqual({ uid: "7f0c3a2e-1111-2222-3333-444455556666", allowed: true });
  });

  it("a deny carries status code, reason and message, and no patch fields", async () => {
    const { body } = await post(review(annotate(af3WorkerPod()), { namespace: "kube-system" }));
    expect(body["response"]).toEqual({
      uid: "7f0c3a2e-1111-2222-3333-444455556666",
      allowed: false,
      status: { code: 403, reason: "Forbidden", message: expect.stringMatching(/not allowed in namespace "kube-system"/) as unknown },
    });
  });

  it.each([
    ["not JSON", "{", "application/json", /JSON/i],
    ["wrong content type", "{}", "text/plain", /Content-Type must be application\/json/],
    ["v1beta1", { ...review({}), apiVersion: "admission.k8s.io/v1beta1" }, "application/json", /apiVersion: must be "admission.k8s.io\/v1"/],
    ["no uid", { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: { operation: "CREATE" } }, "application/json", /request.uid/],
    ["no request", { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" }, "application/json", /request/],
  ])("malformed: %s → 400 with a reason", async (_name, payload, contentType, reason) => {
    const { status, body } = await post(payload, contentType);
    expect(status).toBe(400);
    expect(String(body["error"] ?? body["message"])).toMatch(reason);
  });

  it("an empty request.namespace is a denial, not a crash", async () => {
    const { body } = await post(review(annotate(af3WorkerPod()), { namespace: "" }));
    expect((body["response"] as Obj)["allowed"]).toBe(false);
  });

  it("accepts pods up to the 4 MiB body limit (managedFields, last-applied annotations)", async () => {
    const pod = annotate(af3WorkerPod(), { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "kubectl.kubernetes.io/last-applied-configuration": "x".repeat(3 * 1024 * 1024) });
    const { status, body } = await post(review(pod));
    expect(status).toBe(200);
    expect((body["response"] as Obj)["patchType"]).toBe("JSONPatch");
  });
});

describe("server behaviour", () => {
  it("keep-alive outlives the API server's 90 s idle connections; TLS below 1.2 is refused", async () => {
    expect(env.server.app.server.keepAliveTimeout).toBe(KEEP_ALIVE_TIMEOUT_MS);
    expect(KEEP_ALIVE_TIMEOUT_MS).toBeGreaterThanOrEqual(90_000);
    // Idle keep-alive connections are not subject to the headers timeout (test/webhook/connection-limits.test.ts).
    expect(env.server.app.server.headersTimeout).toBeLessThanOrEqual(10_000);
    const error = await new Promise<Error | undefined>((resolve) => {
      const socket = connect({ host: "127.0.0.1", port: env.port, maxVersion: "TLSv1.1", minVersion: "TLSv1", rejectUnauthorized: false });
      socket.on("secureConnect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.on("error", (err) => resolve(err));
    });
    expect(error).toBeDefined();
  });

  it("/healthz and /readyz; /metrics counts injections, denials, reloads and durations", async () => {
    expect((await env.server.app.inject({ url: "/healthz" })).statusCode).toBe(200);
    expect((await env.server.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    const metrics = (await env.server.app.inject({ url: "/metrics" })).body;
    expect(metrics).toMatch(/avi_webhook_injections_total\{namespace="airflow",mode="sidecar"\} [1-9]/);
    expect(metrics).toMatch(/avi_webhook_denials_total\{namespace="kube-system",code="403"\} 1/);
    expect(metrics).toMatch(/avi_webhook_errors_total\{kind="malformed"\} [1-9]/);
    expect(metrics).toMatch(/avi_webhook_request_duration_seconds_bucket\{le="0.005",outcome="injected"\} [1-9]/);
    expect(metrics).toMatch(/avi_webhook_config_reloads_total\{source="tls",result="success"\} 1/);
    expect(metrics).toMatch(/avi_webhook_tls_certificate_expiry_timestamp_seconds \d+/);
    expect(metrics).toMatch(/process_cpu_seconds_total/);
  });
});

describe("settings hot reload", () => {
  const metric = async (result: "success" | "failure"): Promise<number> => {
    const text = (await env.server.app.inject({ url: "/metrics" })).body;
    return Number(new RegExp(`avi_webhook_config_reloads_total\\{source="settings",result="${result}"\\} (\\d+)`).exec(text)?.[1] ?? 0);
  };
  const withProfile = (name: string) => stringify({ ...TEST_SETTINGS, profiles: { ...TEST_SETTINGS.profiles, [name]: { path: `aws/sts/${name}`, format: "aws" } } });

  it("a new file is picked up from the file watch without a restart", async () => {
    const before = await metric("success");
    await env.replaceFile(env.settingsFile, withProfile("fresh"));
    await vi.waitFor(async () => expect(await metric("success")).toBe(before + 1), { timeout: 5000, interval: 20 });
    expect(Object.keys(env.server.settings().profiles)).toContain("fresh");
    const outcome = await env.harness.admit(annotate(af3WorkerPod(), { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "fresh" }), { namespace: "airflow" });
    expect(outcome.allowed).toBe(true);
  });

  it("a bad file keeps the last good settings, and is counted", async () => {
    const good = env.server.settings();
    const failures = await metric("failure");
    await env.replaceFile(env.settingsFile, "vault:\n  adress: https://typo\n");
    await vi.waitFor(async () => expect(await metric("failure")).toBe(failures + 1), { timeout: 5000, interval: 20 });
    expect(env.server.settings()).toBe(good);
    expect((await env.server.app.inject({ url: "/readyz" })).statusCode).toBe(200);
    const outcome = await env.harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
    expect(outcome.allowed).toBe(true);
    // Fixing the file recovers.
    await env.replaceFile(env.settingsFile, withProfile("again"));
    await env.server.reload();
    expect(Object.keys(env.server.settings().profiles)).toContain("again");
  });

  it("draining turns /readyz to 503", async () => {
    const other = await startWebhookEnv();
    try {
      other.server.drain();
      expect((await other.server.app.inject({ url: "/readyz" })).statusCode).toBe(503);
    } finally {
      await other.close();
    }
  });
});

describe("serializeReview", () => {
  it("produces exactly JSON.stringify's bytes, with and without a patch", async () => {
    const { reviewEnvelope, serializeReview } = await import("../../webhook/admission-review.js");
    const withPatch = { uid: 'a"b', allowed: true, patchType: "JSONPatch" as const, patch: Buffer.from('[{"op":"add"}]').toString("base64"), warnings: ['say "hi"'], auditAnnotations: { mode: "sidecar" } };
    expect(serializeReview(withPatch)).toBe(JSON.stringify(reviewEnvelope(withPatch)));
    const deny = { uid: "u", allowed: false, status: { code: 400, reason: "BadRequest", message: 'x "patch":"" y' } };
    expect(serializeReview(deny)).toBe(JSON.stringify(reviewEnvelope(deny)));
  });
});
