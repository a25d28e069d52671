/**
 * What our webhook does per review beyond what the bare server does, timed in-process piece by piece
 * (no HTTP, no TLS), in the bundled server process of bench/webhook.ts so the code is the shipped form.
 * Both servers parse the body (fastify's JSON parser); that is timed too, for scale. The pieces are run
 * in rotation over distinct request texts, so no piece is timed on one hot object.
 */
import { randomUUID } from "node:crypto";
import type { Logger } from "pino";
import { ANNOTATION, STATUS_INJECTED, parseAnnotations } from "../injector/annotations.js";
import { buildPatch } from "../injector/patch.js";
import { planInjection } from "../injector/plan.js";
import { annotationsOf, readPod, type PodView } from "../injector/pod.js";
import type { Settings } from "../injector/settings.js";
import { parseAdmissionReview, reviewPod, serializeReview, type AdmissionRequest } from "../webhook/admission-review.js";
import type { WebhookMetrics } from "../webhook/metrics.js";

export type ComponentCosts = [name: string, microseconds: number][];

const ROTATION = 64;

/** µs per call of each piece, median of `rounds` rounds of `iterations` calls. */
export function componentCosts(
  bodyParts: [string, string],
  /** Fastify's default JSON body parser, as both servers run it. */
  parseBody: (text: string) => unknown,
  settings: Settings,
  logger: Logger,
  metrics: WebhookMetrics,
  iterations = 4000,
  rounds = 5,
): ComponentCosts {
  const texts = Array.from({ length: ROTATION }, () => bodyParts[0] + randomUUID() + bodyParts[1]);
  const bodies = texts.map((t) => JSON.parse(t) as unknown);
  const requests = bodies.map((b) => {
    const parsed = parseAdmissionReview(b);
    if ("error" in parsed) throw new Error(parsed.error);
    return parsed.request;
  });
  const pods = requests.map((r) => {
    const read = readPod(r.object);
    if ("error" in read) throw new Error(read.error);
    return read.pod;
  });
  const annotations = pods.map((p) => {
    const parsed = parseAnnotations(annotationsOf(p));
    if ("errors" in parsed) throw new Error(parsed.errors.join("; "));
    return parsed;
  });
  const plan = (pod: PodView, i: number) => planInjection(pod, annotations[i % ROTATION] as never, "airflow", settings, { [ANNOTATION.status]: STATUS_INJECTED });
  const plans = pods.map(plan);
  const reviews = requests.map((r) => reviewPod(r, settings));
  const log = (r: AdmissionRequest) => logger.info({ uid: r.uid, namespace: r.namespace, pod: "pod", mode: "sidecar", credentials: "minio-etl", ms: 0.12 }, "injected");
  const at = <T>(xs: T[], i: number): T => xs[i % ROTATION] as T;

  const pieces: [string, (i: number) => unknown][] = [
    ["body parse (fastify's, both servers)", (i) => parseBody(at(texts, i))],
    ["AdmissionReview check", (i) => parseAdmissionReview(at(bodies, i))],
    ["pod check (view schema)", (i) => readPod(at(requests, i).object)],
    ["annotations", (i) => parseAnnotations(annotationsOf(at(pods, i)))],
    ["plan", (i) => plan(at(pods, i), i)],
    ["patch (operations + JSON text)", (i) => buildPatch(at(pods, i), at(plans, i), settings)],
    ["whole review (the above after the body parse, + base64)", (i) => reviewPod(at(requests, i), settings)],
    ["reply JSON", (i) => serializeReview(at(reviews, i).response)],
    ["log line (pino, sync destination)", (i) => log(at(requests, i))],
    ["metrics (counter + histogram)", () => {
      metrics.injections.inc({ namespace: "airflow", mode: "sidecar" });
      metrics.requestDuration.observe({ outcome: "injected" }, 0.0002);
    }],
  ];
  const results: ComponentCosts = [];
  for (const [name, run] of pieces) {
    for (let i = 0; i < iterations; i++) run(i); // warm-up
    const perRound: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < iterations; i++) run(i);
      perRound.push(Number(process.hrtime.bigint() - started) / 1e3 / iterations);
    }
    perRound.sort((a, b) => a - b);
    results.push([name, perRound[Math.floor(rounds / 2)] ?? NaN]);
  }
  return results;
}
