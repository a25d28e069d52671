/**
 * npm run bench:hostile-reviews — adversarial AdmissionReviews through the real webhook handler
 * (createWebhookServer + fastify inject: body parsing, review, encoding), one generator per annotation
 * and per pod field an attacker with pod-create rights (or anyone who reaches the Service) controls,
 * each grown to just under the body limit (BODY_LIMIT_BYTES) or the JSON value limit (MAX_JSON_VALUES). CPU time (user + system, process.cpuUsage) of each
 * review is measured; the figure is the worst review over REPEATS runs of every generator (the median
 * run per generator, then the maximum over generators, so a GC pause of the shared machine does not
 * count as the input's cost). Target (issue 11): max_review_cpu_ms <= 50.
 * Also printed per generator: the CPU of the review alone (reviewPod on the already-parsed body), i.e.
 * our code without body parsing, for bodies the parser accepts (a 413 never reaches the review), and a
 * baseline: a pod at the body limit the API server may really send.
 * Last line: RESULT max_review_cpu_ms=<ms> worst=<generator> max_review_only_cpu_ms=<ms> baseline_ms=<ms>.
 */
import { parseAdmissionReview, reviewPod } from "../webhook/admission-review.js";
import { countJsonValues, MAX_JSON_VALUES } from "../webhook/json-body.js";
import { BODY_LIMIT_BYTES } from "../webhook/server.js";
import { startWebhookEnv, TEST_SETTINGS } from "../test/support/webhook-env.js";
import { machineInfo } from "./bench-support.js";

const REPEATS = Number(process.env["BENCH_REPEATS"] ?? 5);
const P = "airflow-vault.io/";
type Obj = Record<string, unknown>;

/** The review envelope with `pod` as object; `fill` grows a part of it until the body is near the limit. */
function review(pod: Obj, namespace = "airflow"): Obj {
  return {
    apiVersion: "admission.k8s.io/v1",
    kind: "AdmissionReview",
    request: {
      uid: "b5f0e5d0-0000-4000-8000-000000000011",
      kind: { group: "", version: "v1", kind: "Pod" },
      resource: { group: "", version: "v1", resource: "pods" },
      namespace,
      operation: "CREATE",
      object: pod,
    },
  };
}

const ROOM = BODY_LIMIT_BYTES - 4096;

function pod(annotations: Obj, spec: Obj = {}): Obj {
  return {
    metadata: { generateName: "etl-", annotations: { [`${P}inject`]: "true", [`${P}credentials`]: "minio-etl", ...annotations } },
    spec: { serviceAccountName: "airflow-worker", containers: [{ name: "base", image: "apache/airflow:3.1.0" }], ...spec },
  };
}

function repeatTo(unit: string, room = ROOM): string {
  return unit.repeat(Math.floor(room / unit.length));
}

function manyKeys(make: (i: number) => string, value: string, room = ROOM): Obj {
  const out: Obj = {};
  let size = 0;
  for (let i = 0; size < room; i++) {
    const key = make(i);
    out[key] = value;
    size += key.length + value.length + 6;
  }
  return out;
}

/** `count` members, just under the JSON value limit when count is MAX_JSON_VALUES minus a margin. */
function keysUnderValueLimit(make: (i: number) => string, value: string): Obj {
  return Object.fromEntries(Array.from({ length: MAX_JSON_VALUES - 100 }, (_, i) => [make(i), value]));
}

function manyContainers(nameLength: number, extra: Obj = {}): Obj[] {
  const list: Obj[] = [];
  const unit = JSON.stringify({ name: "x".repeat(nameLength), image: "x", ...extra }).length + 1;
  for (let i = 0; i < ROOM / unit; i++) list.push({ name: `${i}`.padStart(nameLength, "c"), image: "x", ...extra });
  return list;
}

const generators: Record<string, () => Obj> = {
  // What the API server may legitimately send: one large foreign annotation (last-applied-configuration).
  "baseline: last-applied annotation at the body limit": () => review(pod({ "kubectl.kubernetes.io/last-applied-configuration": repeatTo("x") })),
  "containers: one huge unknown name": () => review(pod({ [`${P}containers`]: repeatTo("a") })),
  "containers: 40 KiB name vs long container names": () =>
    review(pod({ [`${P}containers`]: "a".repeat(40 * 1024) }, { containers: manyContainers(36 * 1024).slice(0, 90) })),
  "containers: 32 names vs 64 containers of 63 chars": () =>
    review(pod({ [`${P}containers`]: Array.from({ length: 32 }, (_, i) => `${i}`.padStart(63, "z")).join(",") }, { containers: manyContainers(63).slice(0, 64) })),
  "containers: unknown name vs every container of the body": () => review(pod({ [`${P}containers`]: "nope" }, { containers: manyContainers(20) })),
  "credentials: duplicate-heavy list": () => review(pod({ [`${P}credentials`]: repeatTo("a,") })),
  "credentials: distinct names": () => review(pod({ [`${P}credentials`]: Array.from({ length: ROOM / 8 }, (_, i) => `p${i}`).join(",") })),
  "credentials: constructor": () => review(pod({ [`${P}credentials`]: "constructor" })),
  "unknown keys, long": () => review(pod(manyKeys((i) => `${P}${"k".repeat(240)}${i}`, "v"))),
  "unknown keys, near known ones": () => review(pod(manyKeys((i) => `${P}credentails${i}`, "v"))),
  "ad-hoc: many credentials": () => review(pod(manyKeys((i) => `${P}credential.c${i}.path`, "aws/sts/x"))),
  "ad-hoc: unknown fields": () => review(pod(manyKeys((i) => `${P}credential.a.${"f".repeat(200)}${i}`, "x"))),
  "ad-hoc: huge path": () => review(pod({ [`${P}credential.a.path`]: repeatTo("a/") })),
  "mode: huge value": () => review(pod({ [`${P}mode`]: repeatTo("sidecar") })),
  "role: huge value": () => review(pod({ [`${P}role`]: repeatTo("r") })),
  "default-credential: huge value": () => review(pod({ [`${P}default-credential`]: repeatTo("d") })),
  "inject: huge value": () => review(pod({ [`${P}inject`]: repeatTo("t") })),
  "status: huge value": () => review(pod({ [`${P}status`]: repeatTo("s") })),
  "airflow-connections: huge value": () => review(pod({ [`${P}airflow-connections`]: repeatTo("true") })),
  "revoke-on-exit: huge value": () => review(pod({ [`${P}revoke-on-exit`]: repeatTo("f") })),
  "non-string value: huge array": () => review(pod({ [`${P}role`]: Array.from({ length: ROOM / 4 }, () => 1) })),
  "dag_id: huge value": () => review(pod({ dag_id: repeatTo("d") })),
  "many foreign annotations": () => review(pod(manyKeys((i) => `example.com/k${i}`, "v"))),
  "many foreign annotations, under the value limit": () => review(pod(keysUnderValueLimit((i) => `example.com/k${i}`, "v"))),
  "unknown keys near known ones, under the value limit": () => review(pod(keysUnderValueLimit((i) => `${P}credentails${i}`, "v"))),
  "ad-hoc credentials, under the value limit": () => review(pod(keysUnderValueLimit((i) => `${P}credential.c${i}.path`, "aws/sts/x"))),
  "env entries, under the value limit": () =>
    review(pod({}, { containers: [{ name: "base", image: "x", env: Array.from({ length: Math.floor((MAX_JSON_VALUES - 100) / 3) }, (_, i) => ({ name: `E${i}`, value: "v" })) }] })),
  "mountPath: slashes": () => review(pod({}, { containers: [{ name: "base", image: "x", volumeMounts: [{ name: "d", mountPath: `${repeatTo("/", ROOM - 64)}a` }] }] })),
  "volumeMounts: many": () => review(pod({}, { containers: [{ name: "base", image: "x", volumeMounts: Array.from({ length: ROOM / 60 }, (_, i) => ({ name: `m${i}`, mountPath: `/m/${i}` })) }] })),
  "env: many entries": () => review(pod({}, { containers: [{ name: "base", image: "x", env: Array.from({ length: ROOM / 40 }, (_, i) => ({ name: `E${i}`, value: "v" })) }] })),
  "serviceAccountName: huge": () => review(pod({}, { serviceAccountName: repeatTo("s") })),
  "namespace: huge": () => review(pod({}), repeatTo("n")),
  "profile not allowed, long names": () => review(pod({ [`${P}credentials`]: "minio-etl" }), "x".repeat(63)),
};

const env = await startWebhookEnv({ settings: { ...TEST_SETTINGS, injection: { allowAdHocCredentials: true } } });
const results: { name: string; bytes: number; ms: number; reviewMs: number; status: string }[] = [];
try {
  // Warm up the handler (first-call compilation is not the input's cost).
  for (let i = 0; i < 20; i++) await env.server.app.inject({ method: "POST", url: "/mutate", payload: JSON.stringify(review(pod({}))), headers: { "content-type": "application/json" } });
  for (const [name, make] of Object.entries(generators)) {
    const body = JSON.stringify(make());
    if (body.length > BODY_LIMIT_BYTES) throw new Error(`${name}: body ${body.length} over the limit`);
    const runs: number[] = [];
    let status = "";
    for (let r = 0; r < REPEATS; r++) {
      const before = process.cpuUsage();
      const res = await env.server.app.inject({ method: "POST", url: "/mutate", payload: body, headers: { "content-type": "application/json" } });
      const used = process.cpuUsage(before);
      runs.push((used.user + used.system) / 1000);
      const parsed = res.statusCode !== 200 ? {} : res.json<{ response?: { allowed: boolean; status?: { code: number; message: string } } }>();
      status = res.statusCode !== 200 ? `${res.statusCode} ${res.body.slice(0, 90)}` : `${res.statusCode} ${parsed.response?.allowed === true ? "allowed" : `denied ${parsed.response?.status?.code ?? ""}: ${(parsed.response?.status?.message ?? "").slice(0, 70)}`}`;
    }
    runs.sort((a, b) => a - b);
    const reviewRuns: number[] = [];
    const accepted = countJsonValues(body, MAX_JSON_VALUES) <= MAX_JSON_VALUES;
    for (let r = 0; accepted && r < REPEATS; r++) {
      const parsed = parseAdmissionReview(JSON.parse(body));
      if ("error" in parsed) throw new Error(`${name}: ${parsed.error}`);
      const before = process.cpuUsage();
      reviewPod(parsed.request, env.server.settings());
      const used = process.cpuUsage(before);
      reviewRuns.push((used.user + used.system) / 1000);
    }
    reviewRuns.sort((a, b) => a - b);
    results.push({ name, bytes: body.length, ms: runs[Math.floor(runs.length / 2)] ?? 0, reviewMs: reviewRuns[Math.floor(reviewRuns.length / 2)] ?? 0, status });
  }
} finally {
  await env.close();
}
console.log("handler ms  review ms    body  generator");
for (const r of results) console.log(`${r.ms.toFixed(1).padStart(10)} ${r.reviewMs.toFixed(1).padStart(10)} ${(r.bytes / 1024).toFixed(0).padStart(5)} KiB  ${r.name.padEnd(52)} ${r.status}`);
const worst = results.reduce((a, b) => (b.ms > a.ms ? b : a));
const worstReview = results.reduce((a, b) => (b.reviewMs > a.reviewMs ? b : a));
const baseline = results[0]?.ms ?? 0;
const m = machineInfo();
console.log(`node ${m.node}, ${m.nproc} cpus, load average ${m.loadavg}; median of ${REPEATS} runs per generator`);
console.log(`worst review alone: "${worstReview.name}"`);
console.log(`RESULT max_review_cpu_ms=${worst.ms.toFixed(1)} worst="${worst.name}" max_review_only_cpu_ms=${worstReview.reviewMs.toFixed(1)} baseline_ms=${baseline.toFixed(1)}`);
