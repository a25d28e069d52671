import { test, expect } from "vitest";
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { startWebhookEnv } from "../support/webhook-env.js";
test("smoke", async () => {
  const env = await startWebhookEnv();
  try {
    const pod = parse(readFileSync("examples/ke-worker-pod.yaml", "utf8"));
    const out = await env.harness.admit(pod, { namespace: "airflow" });
    console.log(JSON.stringify(out, null, 1).slice(0, 2500));
    expect(out.allowed).toBe(true);
  } finally { await env.close(); }
});
