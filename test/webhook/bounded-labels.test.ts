/**
 * Metric labels from requests are bounded (issue 11, item 5): a client that reaches the Service can
 * send reviews with any namespace; each distinct label value used to be a series kept forever
 * (RSS 128 → 252 MiB, /metrics 15 MB).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundedLabel, MAX_NAMESPACE_LABELS, OTHER_LABEL } from "../../webhook/metrics.js";
import { startWebhookEnv, type WebhookEnv } from "../support/webhook-env.js";

describe("boundedLabel", () => {
  it("keeps the first distinct valid values, then OTHER; invalid values are OTHER at once", () => {
    const label = boundedLabel(2);
    expect(["a", "b", "a", "c", "b"].map(label)).toEqual(["a", "b", "a", OTHER_LABEL, "b"]);
    expect(boundedLabel(5)("x".repeat(64))).toBe(OTHER_LABEL);
    expect(boundedLabel(5)("Not_A_Name")).toBe(OTHER_LABEL);
  });
});

describe("webhook metrics under many namespaces", () => {
  let env: WebhookEnv;
  beforeAll(async () => {
    env = await startWebhookEnv();
  });
  afterAll(async () => {
    await env.close();
  });

  it("labels at most MAX_NAMESPACE_LABELS namespaces, the rest as other", async () => {
    const total = MAX_NAMESPACE_LABELS + 100;
    for (let i = 0; i < total; i++) {
      const review = {
        apiVersion: "admission.k8s.io/v1",
        kind: "AdmissionReview",
        request: {
          uid: `u${i}`,
          kind: { group: "", version: "v1", kind: "Pod" },
          resource: { group: "", version: "v1", resource: "pods" },
          namespace: `ns-${i}`,
          operation: "CREATE",
          // An unknown profile: denied, so avi_webhook_denials_total gets a namespace label.
          object: { metadata: { annotations: { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "nope" } }, spec: { containers: [{ name: "c", image: "x" }] } },
        },
      };
      const res = await env.server.app.inject({ method: "POST", url: "/mutate", payload: review });
      expect(res.statusCode).toBe(200);
    }
    const text = await env.server.metrics.registry.metrics();
    const namespaces = new Set([...text.matchAll(/^avi_webhook_denials_total\{namespace="([^"]*)"/gm)].map((m) => m[1]));
    expect(namespaces.size).toBe(MAX_NAMESPACE_LABELS + 1);
    expect(namespaces.has(OTHER_LABEL)).toBe(true);
    expect(text).toMatch(new RegExp(`avi_webhook_denials_total\\{namespace="other",code="400"\\} 100`));
  });
});
