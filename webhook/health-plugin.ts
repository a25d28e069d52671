/** `/healthz`, `/readyz` and `/metrics` as fastify plugins, registered beside the admission plugin. */
import type { FastifyPluginCallback } from "fastify";
import type { Registry } from "prom-client";

export interface HealthPluginOptions {
  /** Ready to take reviews: settings loaded and not draining. */
  readonly ready: () => boolean;
}

export const healthPlugin: FastifyPluginCallback<HealthPluginOptions> = (app, { ready }, done) => {
  app.get("/healthz", (_req, reply) => reply.send({ status: "ok" }));
  app.get("/readyz", (_req, reply) => {
    const ok = ready();
    return reply.code(ok ? 200 : 503).send({ status: ok ? "ready" : "not ready" });
  });
  done();
};

export interface MetricsPluginOptions {
  readonly registry: Registry;
}

export const metricsPlugin: FastifyPluginCallback<MetricsPluginOptions> = (app, { registry }, done) => {
  app.get("/metrics", async (_req, reply) => {
    const body = await registry.metrics();
    return reply.type(registry.contentType).send(body);
  });
  done();
};
