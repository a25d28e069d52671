/**
 * The HTTPS admission server: `POST /mutate`, `/healthz`, `/readyz`, `/metrics`. TLS files and the
 * settings file are watched and swapped in place — new TLS handshakes use the new certificate while
 * open keep-alive connections carry on, and a bad new file keeps the last good one.
 */
import Fastify, { type FastifyInstance } from "fastify";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Server } from "node:https";
import type { Logger } from "pino";
import { newEndpointToken } from "../agent/endpoint-token.js";
import { type Settings } from "../injector/settings.js";
import { parseSettingsText } from "../injector/load-settings.js";
import { createAdmissionHandler } from "./admission-handler.js";
import { admissionPlugin } from "./admission-plugin.js";
import { limitConnections, SERVER_TLS_OPTIONS } from "./connection-limits.js";
import { FileReloader } from "./file-reloader.js";
import { useCountedJsonParser } from "./json-body.js";
import { healthPlugin, metricsPlugin } from "./health-plugin.js";
import { createMetrics, type WebhookMetrics } from "./metrics.js";
import type { NamespaceLabelLookup } from "./namespace-labels.js";
import type { TlsMaterial } from "./tls-material.js";
import { fileTlsSource, type TlsSource } from "./tls-source.js";

export interface WebhookServerOptions {
  /** Serving certificate files (watched); or `tlsSource` (e.g. the self-issued mode). */
  tlsCertFile?: string;
  tlsKeyFile?: string;
  tlsSource?: TlsSource;
  settingsFile: string;
  /** Namespace label look-up (cached); absent, the injector sees only the pod. */
  namespaceLabels?: NamespaceLabelLookup;
  logger: Logger;
  metrics?: WebhookMetrics;
  /** File-watch tuning (tests shorten them). */
  debounceMs?: number;
  resyncMs?: number;
}

export interface WebhookServer {
  app: FastifyInstance<Server, IncomingMessage, ServerResponse>;
  metrics: WebhookMetrics;
  listen(host: string, port: number): Promise<number>;
  settings(): Settings;
  /** Forces a re-read of the watched files (also happens on file events). */
  reload(): Promise<void>;
  /** Stops reporting ready (before shutdown, so the endpoint leaves the Service first). */
  drain(): void;
  close(): Promise<void>;
}

/** The apiserver keeps idle connections ~90 s; closing them sooner causes EOF errors
 * (kubernetes/apiserver `pkg/util/webhook/client.go`: a cached keep-alive client; Go's idle timeout is 90 s). */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;
/** The API server decodes create bodies of at most 3 MiB (k8s.io/apiserver `pkg/server/config.go`,
 * NewConfig: MaxRequestBodyBytes, twice etcd's 1.5 MiB request limit); 512 KiB more for the review's
 * envelope and the managedFields entry the API server adds before admission. */
export const BODY_LIMIT_BYTES = 3.5 * 1024 * 1024;

export async function createWebhookServer(options: WebhookServerOptions): Promise<WebhookServer> {
  const { logger } = options;
  const metrics = options.metrics ?? createMetrics();
  let settings: Settings | undefined;
  let draining = false;

  const settingsReloader = new FileReloader<Settings>({
    name: "settings",
    files: [options.settingsFile],
    load: ([text = ""]) => parseSettingsText(text, options.settingsFile),
    onApply: (value, initial) => {
      settings = value;
      metrics.reloads.inc({ source: "settings", result: "success" });
      logger.info({ file: options.settingsFile, profiles: Object.keys(value.profiles).length }, initial ? "settings loaded" : "settings reloaded");
    },
    onError: (err) => {
      metrics.reloads.inc({ source: "settings", result: "failure" });
      logger.error({ file: options.settingsFile, err: err.message }, "settings not reloaded; keeping the last good settings");
    },
    ...tuning(options),
  });
  // Set once fastify has created the HTTPS server; reloads before that only validate the files.
  const listener: { server?: Server } = {};
  const tlsSource = tlsSourceOf(options);
  const applyTls = (material: TlsMaterial, initial: boolean): void => {
    // Only new handshakes use the new context; established connections keep theirs.
    listener.server?.setSecureContext(material.options);
    metrics.reloads.inc({ source: "tls", result: "success" });
    metrics.certificateExpiry.set(material.notAfter.getTime() / 1000);
    logger.info({ notAfter: material.notAfter.toISOString(), san: material.subjectAltName }, initial ? "TLS certificate loaded" : "TLS certificate reloaded");
  };
  const tlsError = (err: Error): void => {
    metrics.reloads.inc({ source: "tls", result: "failure" });
    logger.error({ err: err.message }, "TLS certificate not reloaded; keeping the current one");
  };

  const currentSettings = (): Settings => {
    if (settings === undefined) throw new Error("settings not loaded");
    return settings;
  };

  try {
    await settingsReloader.start();
  } catch (err) {
    await settingsReloader.close();
    throw err;
  }
  let initialTls: TlsMaterial;
  try {
    initialTls = await tlsSource.start((material) => applyTls(material, false), tlsError);
    applyTls(initialTls, true);
  } catch (err) {
    await Promise.all([settingsReloader.close(), tlsSource.close()]);
    throw err;
  }

  const app = Fastify({
    https: { ...initialTls.options, ...SERVER_TLS_OPTIONS },
    // No per-request child loggers (they cost more than the review itself); we log one line per review.
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: KEEP_ALIVE_TIMEOUT_MS + 10_000,
    return503OnClosing: true,
  });
  listener.server = app.server;
  limitConnections(app.server);

  // The API server always sends application/json; anything else is a client mistake (400, not 415).
  app.removeContentTypeParser("text/plain");
  useCountedJsonParser(app);
  app.addContentTypeParser("*", (_req, _payload, done) => {
    done(Object.assign(new Error("Content-Type must be application/json"), { statusCode: 400 }), undefined);
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    const status = err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status >= 500) logger.error({ err: err.message }, "request failed");
    metrics.errors.inc({ kind: status >= 500 ? "internal" : status === 413 ? "too-large" : "malformed" });
    const message = err.code === "FST_ERR_CTP_BODY_TOO_LARGE" ? `request body is larger than ${BODY_LIMIT_BYTES} bytes` : err.message;
    return reply.code(status).send({ error: status >= 500 ? "internal error" : message });
  });

  const handler = createAdmissionHandler(currentSettings, { namespaceLabels: options.namespaceLabels, endpointToken: newEndpointToken });
  await app.register(admissionPlugin, { handler, metrics, logger });
  await app.register(healthPlugin, { ready: () => !draining && settings !== undefined });
  await app.register(metricsPlugin, { registry: metrics.registry });

  return {
    app,
    metrics,
    async listen(host, port) {
      await app.listen({ host, port });
      const address = app.server.address();
      return typeof address === "object" && address !== null ? address.port : port;
    },
    settings: currentSettings,
    async reload() {
      await Promise.all([settingsReloader.reload(), tlsSource.reload?.()]);
    },
    drain() {
      draining = true;
    },
    async close() {
      draining = true;
      await Promise.all([settingsReloader.close(), tlsSource.close()]);
      await app.close();
    },
  };
}

function tlsSourceOf(options: WebhookServerOptions): TlsSource {
  if (options.tlsSource !== undefined) return options.tlsSource;
  if (options.tlsCertFile === undefined || options.tlsKeyFile === undefined) throw new Error("the webhook needs TLS: certificate and key files, or a TLS source");
  return fileTlsSource(options.tlsCertFile, options.tlsKeyFile, tuning(options));
}

function tuning(options: WebhookServerOptions): { debounceMs?: number; resyncMs?: number } {
  return {
    ...(options.debounceMs !== undefined && { debounceMs: options.debounceMs }),
    ...(options.resyncMs !== undefined && { resyncMs: options.resyncMs }),
  };
}

