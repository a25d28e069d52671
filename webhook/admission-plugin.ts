/**
 * `POST /mutate` as a fastify plugin: parse the AdmissionReview (a malformed body is a 400 naming the
 * field), hand the request to the admission handler, then record, log and send the review. The
 * handler holds the policy; this plugin only speaks HTTP.
 */
import type { FastifyPluginCallback } from "fastify";
import type { Logger } from "pino";
import type { AdmissionHandler } from "./admission-handler.js";
import { parseAdmissionReview, serializeReview, type AdmissionRequest, type ReviewResult } from "./admission-review.js";
import type { Outcome, WebhookMetrics } from "./metrics.js";

export interface AdmissionPluginOptions {
  readonly handler: AdmissionHandler;
  readonly metrics: WebhookMetrics;
  readonly logger: Logger;
}

export const admissionPlugin: FastifyPluginCallback<AdmissionPluginOptions> = (app, { handler, metrics, logger }, done) => {
  app.post("/mutate", async (req, reply) => {
    const started = process.hrtime.bigint();
    const parsed = parseAdmissionReview(req.body);
    if ("error" in parsed) {
      metrics.errors.inc({ kind: "malformed" });
      metrics.requestDuration.observe({ outcome: "malformed" }, elapsedSeconds(started));
      logger.warn({ reason: parsed.error }, "malformed AdmissionReview");
      return reply.code(400).send({ error: parsed.error });
    }
    const { request } = parsed;
    const { response, result } = await handler(request);
    const outcome = record(metrics, request, result);
    const seconds = elapsedSeconds(started);
    metrics.requestDuration.observe({ outcome }, seconds);
    logReview(logger, request, result, seconds);
    return reply.type("application/json").send(serializeReview(response));
  });
  done();
};

function elapsedSeconds(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

function record(metrics: WebhookMetrics, request: AdmissionRequest, result: ReviewResult): Outcome {
  const namespace = metrics.namespaceLabel(request.namespace ?? "");
  if (result.kind === "ignored") return "skipped";
  if (result.kind === "internal-error") {
    metrics.errors.inc({ kind: "internal" });
    return "error";
  }
  const { decision } = result;
  if (decision.kind === "inject") {
    metrics.injections.inc({ namespace, mode: decision.plan.mode });
    return "injected";
  }
  if (decision.kind === "deny") {
    metrics.denials.inc({ namespace, code: String(decision.code) });
    return "denied";
  }
  return "skipped";
}

/** One line per review; never the object itself (env values, annotations) — only names and outcome. */
function logReview(logger: Logger, request: AdmissionRequest, result: ReviewResult, seconds: number): void {
  const ms = Math.round(seconds * 1e5) / 100;
  if (result.kind === "decided" && result.decision.kind === "inject") {
    const { plan, warnings } = result.decision;
    const credentials = plan.credentials.length === 1 ? plan.defaultCredential : plan.credentials.map((c) => c.name).join(",");
    if (warnings.length > 0) logger.info({ uid: request.uid, namespace: request.namespace, pod: podName(request), mode: plan.mode, credentials, ms, warnings }, "injected");
    else logger.info({ uid: request.uid, namespace: request.namespace, pod: podName(request), mode: plan.mode, credentials, ms }, "injected");
  } else if (result.kind === "decided" && result.decision.kind === "deny") {
    logger.info({ uid: request.uid, namespace: request.namespace, pod: podName(request), code: result.decision.code, reason: result.decision.message, ms }, "denied");
  } else if (result.kind === "internal-error") {
    logger.error({ uid: request.uid, namespace: request.namespace, pod: podName(request), err: result.error.stack ?? result.error.message }, "review failed");
  } else if (logger.isLevelEnabled("debug")) {
    const reason = result.kind === "ignored" ? result.reason : result.decision.kind === "skip" ? result.decision.reason : "";
    logger.debug({ uid: request.uid, namespace: request.namespace, pod: podName(request), reason, ms }, "skipped");
  }
}

/** generateName pods have no name at admission (kubernetes/apiserver
 * `pkg/registry/generic/registry/store.go` names them after admission): log the prefix. */
function podName(request: AdmissionRequest): string | undefined {
  const meta = (request.object as { metadata?: { name?: unknown; generateName?: unknown } } | null)?.metadata;
  return typeof meta?.name === "string" ? meta.name : typeof meta?.generateName === "string" ? `${meta.generateName}*` : undefined;
}
