/**
 * Child process of bench/webhook.ts: runs our webhook and a bare fastify HTTPS server (same TLS
 * material, same body limit, fixed AdmissionReview reply of the same size) side by side, so the
 * client in the parent measures both under identical conditions. Reports both ports over IPC.
 */
import { readFile } from "node:fs/promises";
import Fastify from "fastify";
import { pino } from "pino";
import { webhookLogDestination } from "../webhook/log-destination.js";
import { componentCosts } from "./webhook-components.js";
import { BODY_LIMIT_BYTES, KEEP_ALIVE_TIMEOUT_MS, createWebhookServer } from "../webhook/server.js";

const [certFile = "", keyFile = "", settingsFile = "", fixedReplyFile = ""] = process.argv.slice(2);

// As `avi webhook` logs, with /dev/null as stdout.
const logger = pino({ level: process.env["BENCH_LOG_LEVEL"] ?? "info" }, webhookLogDestination("/dev/null"));
const webhook = await createWebhookServer({ tlsCertFile: certFile, tlsKeyFile: keyFile, settingsFile, logger });
const ours = await webhook.listen("127.0.0.1", 0);

const fixedReply = await readFile(fixedReplyFile, "utf8");
const bare = Fastify({
  https: { cert: await readFile(certFile, "utf8"), key: await readFile(keyFile, "utf8"), minVersion: "TLSv1.2" },
  bodyLimit: BODY_LIMIT_BYTES,
  keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
});
bare.post("/mutate", (_req, reply) => reply.type("application/json").send(fixedReply));
await bare.listen({ host: "127.0.0.1", port: 0 });
const barePort = (bare.server.address() as { port: number }).port;

// Fastify's default JSON body parser with its default poisoning checks, for bench/webhook-components.ts.
const defaultJsonParser = bare.getDefaultJsonParser("error", "error");
const parseBody = (text: string): unknown => {
  let parsed: unknown;
  void defaultJsonParser(undefined as never, text, (err, body) => {
    if (err !== null) throw err;
    parsed = body;
  });
  return parsed;
};

process.send?.({ ours, bare: barePort });
process.on("message", (msg) => {
  if (msg === "cpu") process.send?.({ cpu: process.cpuUsage() });
  if (typeof msg === "object" && msg !== null && "components" in msg) {
    process.send?.({ costs: componentCosts((msg as { components: [string, string] }).components, parseBody, webhook.settings(), logger, webhook.metrics) });
  }
  if (msg === "stop") void Promise.all([webhook.close(), bare.close()]).then(() => process.exit(0));
});
