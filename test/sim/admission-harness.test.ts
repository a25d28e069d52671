/**
 * Contract tests for the API-server admission harness: it must treat a webhook exactly as
 * kube-apiserver does (kubernetes/apiserver v1.37 `pkg/admission/plugin/webhook/`, cited per block), or the product's
 * webhook tests prove nothing. Each test drives a tiny scripted HTTPS webhook.
 */
import { createServer, type Server } from "node:https";
import type { IncomingHttpHeaders } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdmissionHarness, type HarnessOptions } from "../../sim/apiserver/admission/harness.js";
import { createTestCertificateAuthority, type TestCertificateAuthority } from "../../sim/tls/certificate-authority.js";
import { restrictedViolations } from "../../sim/apiserver/admission/pod-security.js";
import { serviceAccountPlugin } from "../../sim/apiserver/admission/defaulting.js";
import { SERVICE } from "../support/webhook-env.js";
import { yamlFixture, type Obj } from "../support/fixtures.js";

type Reply = { status?: number; body: unknown; delayMs?: number } | ((review: Obj) => { status?: number; body: unknown });

interface Seen {
  url: string;
  headers: IncomingHttpHeaders;
  review: Obj;
  servername: string | undefined;
}

let ca: TestCertificateAuthority;
let server: Server;
let port: number;
let reply: Reply = { body: {} };
const seen: Seen[] = [];

beforeAll(async () => {
  ca = await createTestCertificateAuthority();
  const cert = await ca.issueServing(["avi-webhook.avi-system.svc"]);
  server = createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const review = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Obj;
      seen.push({ url: req.url ?? "", headers: req.headers, review, servername: (req.socket as unknown as { servername?: string }).servername });
      const r = typeof reply === "function" ? reply(review) : reply;
      const send = (): void => {
        res.writeHead(r.status ?? 200, { "Content-Type": "application/json" });
        res.end(typeof r.body === "string" ? r.body : JSON.stringify(r.body));
      };
      const delay = typeof reply === "function" ? 0 : (reply.delayMs ?? 0);
      if (delay > 0) setTimeout(send, delay).unref();
      else send();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as { port: number }).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

function harness(options: Partial<HarnessOptions> = {}): AdmissionHarness {
  return new AdmissionHarness({ endpoint: { service: SERVICE, caBundle: ca.caPem, dial: { host: "127.0.0.1", port } }, ...options });
}

async function admit(pod: Obj, options: Partial<HarnessOptions> = {}, namespace = "airflow") {
  const h = harness(options);
  try {
    return await h.admit(pod, { namespace });
  } finally {
    h.close();
  }
}

const podWith = (spec: Obj = {}): Obj => ({ apiVersion: "v1", kind: "Pod", metadata: { generateName: "etl-" }, spec: { containers: [{ name: "base", image: "a:1" }], ...spec } });
const ok = (review: Obj, extra: Obj = {}): { body: unknown } => ({
  body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: (review["request"] as Obj)["uid"], allowed: true, ...extra } },
});
const patch = (ops: unknown[]): Obj => ({ patchType: "JSONPatch", patch: Buffer.from(JSON.stringify(ops)).toString("base64") });

describe("the request (util/webhook/client.go, request/admissionreview.go)", () => {
  it("POSTs JSON over verified TLS to <path>?timeout=10s with the API server's headers and review fields", async () => {
    seen.length = 0;
    reply = (review) => ok(review);
    const outcome = await admit(podWith());
    expect(outcome.allowed).toBe(true);
    const [call] = seen;
    expect(call?.url).toBe("/mutate?timeout=10s");
    expect(call?.servername).toBe("avi-webhook.avi-system.svc");
    expect(call?.headers["content-type"]).toBe("application/json");
    expect(call?.headers["user-agent"]).toBe("kube-apiserver-admission");
    const request = call?.review["request"] as Obj;
    expect(call?.review).toMatchObject({ apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" });
    expect(request).toMatchObject({
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace: "airflow",
      operation: "CREATE",
      oldObject: null,
      dryRun: false,
      options: { kind: "CreateOptions", apiVersion: "meta.k8s.io/v1" },
    });
    expect("name" in request).toBe(false); // generateName pod
    expect(((request["object"] as Obj)["metadata"] as Obj)["namespace"]).toBe("airflow");
    // Earlier in-tree mutators ran: the ServiceAccount plugin's volume and defaults are present.
    const spec = (request["object"] as Obj)["spec"] as Obj;
    expect(String(((spec["volumes"] as Obj[])[0] as Obj)["name"])).toMatch(/^kube-api-access-/);
    expect(((spec["containers"] as Obj[])[0] as Obj)["terminationMessagePath"]).toBe("/dev/termination-log");
  });

  it("a fresh uid per call", async () => {
    seen.length = 0;
    reply = (review) => ok(review);
    await admit(podWith());
    await admit(podWith());
    const uids = seen.map((s) => (s.review["request"] as Obj)["uid"]);
    expect(new Set(uids).size).toBe(2);
  });
});

describe("reply verification: calling errors follow failurePolicy (mutating/dispatcher.go)", () => {
  const failed = (reason: string) => `Internal error occurred: failed calling webhook "inject.airflow-vault.io": ${reason}`;
  const cases: [string, Reply, string][] = [
    ["missing apiVersion/kind", (r) => ({ body: { response: { uid: (r["request"] as Obj)["uid"], allowed: true } } }), "received invalid webhook response: expected webhook response of admission.k8s.io/v1, Kind=AdmissionReview, got /, Kind="],
    ["absent response", { body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview" } }, "received invalid webhook response: webhook response was absent"],
    ["wrong uid", { body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: "x", allowed: true } } }, 'received invalid webhook response: expected response.uid="'],
    ["patch without patchType", (r) => ok(r, { patch: "W10=" }), "received invalid webhook response: webhook returned response.patch but not response.patchType"],
    ["patchType without patch", (r) => ok(r, { patchType: "JSONPatch" }), "received invalid webhook response: webhook returned response.patchType but not response.patch"],
    ['patchType ""', (r) => ok(r, { patchType: "", patch: "W10=" }), 'received invalid webhook response: webhook returned invalid response.patchType of ""'],
    ["MergePatch", (r) => ok(r, { patchType: "MergePatch", patch: "e30=" }), 'received invalid webhook response: unsupported patch type "MergePatch"'],
    ["patch not an array", (r) => ok(r, { patchType: "JSONPatch", patch: Buffer.from("[{").toString("base64") }), "received undecodable patch in webhook response"],
    ["HTTP 500", { status: 500, body: "boom" }, "failed to call webhook: the server responded with the status code 500"],
  ];

  it.each(cases)("%s → 500 under Fail, allowed (fail open) under Ignore", async (_name, r, reason) => {
    reply = r;
    const fail = await admit(podWith());
    expect(fail).toMatchObject({ allowed: false, code: 500 });
    expect(fail.allowed === false && fail.message.startsWith(failed(reason))).toBe(true);
    const open = await admit(podWith(), { failurePolicy: "Ignore" });
    expect(open.allowed).toBe(true);
    expect(open.allowed && open.auditAnnotations["failed-open.mutation.webhook.admission.k8s.io/round_0_index_0"]).toBe("inject.airflow-vault.io");
  });

  it("TLS is verified against the caBundle and the service DNS SAN", async () => {
    reply = (review) => ok(review);
    const other = await createTestCertificateAuthority("other-ca");
    const wrongCa = new AdmissionHarness({ endpoint: { service: SERVICE, caBundle: other.caPem, dial: { host: "127.0.0.1", port } } });
    const wrongName = new AdmissionHarness({ endpoint: { service: { ...SERVICE, name: "other" }, caBundle: ca.caPem, dial: { host: "127.0.0.1", port } } });
    try {
      const a = await wrongCa.admit(podWith(), { namespace: "airflow" });
      expect(a.allowed === false && a.message).toMatch(/failed to call webhook: Post "https:\/\/avi-webhook.avi-system.svc:443\/mutate\?timeout=10s": .*(certificate|self-signed|issuer)/);
      const b = await wrongName.admit(podWith(), { namespace: "airflow" });
      expect(b.allowed === false && b.message).toMatch(/Hostname\/IP does not match certificate's altnames/);
    } finally {
      wrongCa.close();
      wrongName.close();
    }
  });

  it("a webhook slower than timeoutSeconds: context deadline exceeded", async () => {
    reply = { body: {}, delayMs: 3000 };
    const outcome = await admit(podWith(), { timeoutSeconds: 1 });
    expect(outcome.allowed === false && outcome.message).toMatch(/\?timeout=1s": context deadline exceeded$/);
  });
});

describe("outcomes that ignore failurePolicy (dispatcher.go callAttrMutatingHook)", () => {
  it("a patch that does not apply is a 500 even with Ignore", async () => {
    reply = (r) => ok(r, patch([{ op: "add", path: "/spec/initContainers/-", value: { name: "x", image: "x" } }]));
    const outcome = await admit(podWith(), { failurePolicy: "Ignore" });
    expect(outcome).toMatchObject({ allowed: false, code: 500 });
    expect(outcome.allowed === false && outcome.message).toMatch(/^Internal error occurred: OPERATION_PATH_CANNOT_ADD/);
  });

  it("a patch producing a wrongly typed pod is a 500", async () => {
    reply = (r) => ok(r, patch([{ op: "add", path: "/spec/containers/0/ports", value: [{ containerPort: "80" }] }]));
    const outcome = await admit(podWith(), { failurePolicy: "Ignore" });
    expect(outcome.allowed === false && outcome.message).toMatch(/must be integer/);
  });

  it("denials: code raised to at least 400, message, else reason, else 'without explanation'", async () => {
    const deny = (status: Obj) => (r: Obj) => ({ body: { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", response: { uid: (r["request"] as Obj)["uid"], allowed: false, status } } });
    reply = deny({ code: 200, message: "no profile" });
    expect(await admit(podWith())).toMatchObject({ allowed: false, code: 400, message: 'admission webhook "inject.airflow-vault.io" denied the request: no profile' });
    reply = deny({ code: 403, reason: "Forbidden" });
    expect(await admit(podWith())).toMatchObject({ code: 403, message: 'admission webhook "inject.airflow-vault.io" denied the request: Forbidden' });
    reply = deny({});
    expect(await admit(podWith())).toMatchObject({ code: 400, message: 'admission webhook "inject.airflow-vault.io" denied the request without explanation' });
  });

  it("warnings: control characters and duplicates are dropped (warning.go)", async () => {
    reply = (r) => ok(r, { warnings: ["a", "a", "bad\nline", "b"] });
    expect(await admit(podWith())).toMatchObject({ allowed: true, warnings: ["a", "b"] });
  });
});

describe("validation after mutation (core validation, pod-security-admission)", () => {
  const mutate = (ops: unknown[]) => (r: Obj) => ok(r, patch(ops));

  it.each([
    ["duplicate container name", [{ op: "add", path: "/spec/initContainers", value: [{ name: "base", image: "x" }] }], /Pod "etl-" is invalid: .*name: Duplicate value: "base"/],
    ["projected token under 10 minutes", [{ op: "add", path: "/spec/volumes/-", value: { name: "t", projected: { sources: [{ serviceAccountToken: { path: "token", expirationSeconds: 60 } }] } } }], /may not specify a duration less than 10 minutes/],
    ["init restartPolicy other than Always", [{ op: "add", path: "/spec/initContainers", value: [{ name: "s", image: "x", restartPolicy: "Sometimes" }] }], /restartPolicy: Unsupported value: "Sometimes"/],
    ["mount of a missing volume", [{ op: "add", path: "/spec/containers/0/volumeMounts/-", value: { name: "nope", mountPath: "/n" } }], /volumeMounts\[\d\].name: Not found: "nope"/],
    ["probe on a plain init container", [{ op: "add", path: "/spec/initContainers", value: [{ name: "i", image: "x", startupProbe: { exec: { command: ["true"] } } }] }], /startupProbe: Forbidden/],
  ])("%s → 422", async (_name, ops, message) => {
    reply = mutate(ops);
    const outcome = await admit(podWith());
    expect(outcome).toMatchObject({ allowed: false, code: 422 });
    expect(outcome.allowed === false && outcome.message).toMatch(message);
  });

  it("a patch that changes metadata.namespace → 400", async () => {
    reply = mutate([{ op: "replace", path: "/metadata/namespace", value: "elsewhere" }]);
    expect(await admit(podWith())).toMatchObject({ code: 400, message: "the namespace of the provided object does not match the namespace sent on the request" });
  });

  it("reinvocation calls the webhook again with its own output; a non-idempotent webhook shows up", async () => {
    let n = 0;
    reply = (r) => ok(r, patch([{ op: "add", path: "/spec/containers/-", value: { name: `extra-${n++}`, image: "x" } }]));
    const outcome = await admit(podWith(), { reinvocationPolicy: "IfNeeded" });
    expect(outcome.allowed && outcome.rounds.map((r) => r.patch?.length)).toEqual([1, 1]);
    n = 0;
    const never = await admit(podWith(), { reinvocationPolicy: "Never" });
    expect(never.allowed && never.rounds).toHaveLength(1);
  });

  it("Pod Security restricted enforcement: PSA's message", async () => {
    reply = (r) => ok(r);
    const outcome = await admit(podWith(), { podSecurity: "restricted" });
    expect(outcome).toMatchObject({ allowed: false, code: 403 });
    expect(outcome.allowed === false && outcome.message).toMatch(/^pods "etl-" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
  });
});

describe("in-tree pieces", () => {
  it("the restricted checker agrees with the official conformance pods (pass_base passes, each fail_ fails)", () => {
    expect(restrictedViolations(yamlFixture("k8s", "psa-restricted", "pass_base.yaml"))).toEqual([]);
    const checks: [string, string][] = [
      ["fail_allowprivilegeescalation0.yaml", "allowPrivilegeEscalation != false"],
      ["fail_capabilities_restricted0.yaml", "unrestricted capabilities"],
      ["fail_restrictedvolumes0.yaml", "restricted volume types"],
      ["fail_runasnonroot0.yaml", "runAsNonRoot != true"],
      ["fail_runasuser0.yaml", "runAsUser=0"],
      ["fail_seccompprofile_restricted0.yaml", "seccompProfile"],
    ];
    for (const [file, check] of checks) {
      expect(restrictedViolations(yamlFixture("k8s", "psa-restricted", file)).map((v) => v.check)).toContain(check);
    }
  });

  it("ServiceAccount plugin: mounts the API token where no mount exists at its path; automount false stops it (serviceaccount/admission.go)", () => {
    const pod: Obj = {
      spec: {
        initContainers: [{ name: "masked", image: "x", volumeMounts: [{ name: "m", mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" }] }],
        containers: [{ name: "app", image: "x" }],
        volumes: [{ name: "m", emptyDir: {} }],
      },
    };
    serviceAccountPlugin(pod);
    const spec = pod["spec"] as { initContainers: Obj[]; containers: Obj[] };
    expect((spec.initContainers[0]?.["volumeMounts"] as Obj[]).map((m) => m["name"])).toEqual(["m"]);
    expect(String(((spec.containers[0]?.["volumeMounts"] as Obj[])[0] as Obj)["name"])).toMatch(/^kube-api-access-/);
    const off: Obj = { spec: { automountServiceAccountToken: false, containers: [{ name: "app", image: "x" }] } };
    serviceAccountPlugin(off);
    expect(((off["spec"] as Obj)["containers"] as Obj[])[0]?.["volumeMounts"]).toBeUndefined();
  });
});
