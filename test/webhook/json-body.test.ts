import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { countJsonValues, MAX_JSON_VALUES } from "../../webhook/json-body.js";
import { BODY_LIMIT_BYTES } from "../../webhook/server.js";
import { buildPodReview } from "../../sim/apiserver/admission/review.js";
import { af3WorkerPod, annotate, type Obj } from "../support/fixtures.js";
import { startWebhookEnv, type WebhookEnv } from "../support/webhook-env.js";

describe("countJsonValues", () => {
  it.each([
    ["scalar", "1", 0],
    ["empty object", "{}", 1],
    ["members, elements and containers", '{"a":1,"b":[1,2,3],"c":{"d":null}}', 7],
    ["structural characters inside strings do not count", '{"a,{[":"x,y,[{,z"}', 1],
    ["escaped quote keeps the string open", '{"a":"x\\",[{,","b":1}', 2],
    ["even backslashes close the string", '{"a":"x\\\\","b":[1]}', 3],
    ["unterminated string stops the scan", '{"a":"x,,,', 1],
  ])("%s", (_name, text, expected) => {
    expect(countJsonValues(text, 1_000)).toBe(expected);
  });

  it("stops as soon as the count passes the maximum", () => {
    expect(countJsonValues(`[${"1,".repeat(100)}1]`, 10)).toBe(11);
  });
});

describe("POST /mutate with many JSON values", () => {
  let env: WebhookEnv;
  beforeAll(async () => {
    env = await startWebhookEnv();
  });
  afterAll(async () => {
    await env.close();
  });

  function review(pod: Obj): string {
    const built = buildPodReview(pod, { namespace: "airflow" });
    return JSON.stringify({ ...built, request: { ...built.request, uid: "7f0c3a2e-1111-2222-3333-444455556666" } });
  }

  async function post(payload: string) {
    const res = await env.server.app.inject({ method: "POST", url: "/mutate", headers: { "content-type": "application/json" }, payload });
    return { status: res.statusCode, body: res.json<Obj>() };
  }

  async function tooLargeErrors(): Promise<number> {
    const text = (await env.server.app.inject({ url: "/metrics" })).body;
    return Number(/avi_webhook_errors_total\{kind="too-large"\} (\d+)/.exec(text)?.[1] ?? 0);
  }

  const worker = (): Obj => annotate(af3WorkerPod());
  const withAnnotations = (extra: Obj): Obj => {
    const pod = worker();
    const metadata = pod["metadata"] as Obj;
    metadata["annotations"] = { ...(metadata["annotations"] as Obj), ...extra };
    return pod;
  };
  const withContainerField = (field: string, value: unknown): Obj => {
    const pod = worker();
    const [first] = (pod["spec"] as { containers: Obj[] }).containers;
    if (first !== undefined) first[field] = value;
    return pod;
  };
  const many = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

  it.each<[string, () => Obj]>([
    ["foreign annotations", () => withAnnotations(Object.fromEntries(many(MAX_JSON_VALUES).map((i) => [`example.com/k${i}`, "v"])))],
    ["unknown airflow-vault.io keys", () => withAnnotations(Object.fromEntries(many(MAX_JSON_VALUES).map((i) => [`airflow-vault.io/credentails${i}`, "v"])))],
    ["env entries", () => withContainerField("env", many(MAX_JSON_VALUES / 2).map((i) => ({ name: `E${i}`, value: "v" })))],
    ["volumeMounts", () => withContainerField("volumeMounts", many(MAX_JSON_VALUES / 2).map((i) => ({ name: `m${i}`, mountPath: `/m/${i}` })))],
    ["a flat array of numbers", () => withContainerField("args", many(MAX_JSON_VALUES + 1))],
    ["deep nesting", () => withContainerField("x", "DEEP")],
  ])("%s over the limit → 413 naming it, counted, nothing parsed", async (_name, make) => {
    const before = await tooLargeErrors();
    const deep = `${"[".repeat(MAX_JSON_VALUES + 1)}${"]".repeat(MAX_JSON_VALUES + 1)}`;
    const res = await post(review(make()).replace('"DEEP"', deep));
    expect(res.status).toBe(413);
    expect(res.body["error"]).toContain(`more than ${MAX_JSON_VALUES} JSON values`);
    expect(await tooLargeErrors()).toBe(before + 1);
  });

  it("a body over the byte limit → 413 naming the limit, counted", async () => {
    const before = await tooLargeErrors();
    const res = await post(review(withAnnotations({ "example.com/big": "x".repeat(BODY_LIMIT_BYTES) })));
    expect(res.status).toBe(413);
    expect(res.body["error"]).toBe(`request body is larger than ${BODY_LIMIT_BYTES} bytes`);
    expect(await tooLargeErrors()).toBe(before + 1);
  });

  it("a large legitimate pod (16 containers of 100 env entries, with managedFields) is injected", async () => {
    const pod = worker();
    const spec = pod["spec"] as { containers: Obj[] };
    const base = spec.containers[0] ?? {};
    spec.containers = many(16).map((c) => ({ ...base, name: c === 0 ? base["name"] : `c${c}`, env: many(100).map((i) => ({ name: `E${i}`, value: "v" })) }));
    const fields = Object.fromEntries(spec.containers.map((c) => [`k:{"name":"${String(c["name"])}"}`, { ".": {}, "f:env": Object.fromEntries(many(100).map((i) => [`k:{"name":"E${i}"}`, { ".": {}, "f:name": {}, "f:value": {} }])) }]));
    (pod["metadata"] as Obj)["managedFields"] = [{ manager: "airflow-scheduler", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:spec": { "f:containers": fields } } }];
    const body = review(pod);
    expect(countJsonValues(body, Infinity)).toBeGreaterThan(MAX_JSON_VALUES / 2);
    const res = await post(body);
    expect(res.status).toBe(200);
    expect((res.body["response"] as Obj)["allowed"]).toBe(true);
    expect((res.body["response"] as Obj)["patch"]).toBeTypeOf("string");
  });

  it("structural characters inside strings do not count: a 1 MiB comma annotation is reviewed", async () => {
    const res = await post(review(withAnnotations({ "example.com/list": ",[{".repeat(350_000) })));
    expect(res.status).toBe(200);
    expect((res.body["response"] as Obj)["allowed"]).toBe(true);
  });

  it("prototype poisoning is still refused by the JSON parser", async () => {
    const body = review(worker()).replace('"metadata":{', '"metadata":{"__proto__":{"polluted":true},');
    const res = await post(body);
    expect(res.status).toBe(400);
    expect(({} as Obj)["polluted"]).toBeUndefined();
  });
});
