import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { createClusterFeatures, inClusterNamespace, type ClusterFeatures } from "../../webhook/cluster-features.js";
import { webhookLogDestination } from "../../webhook/log-destination.js";
import { createMetrics } from "../../webhook/metrics.js";
import { fromEnv, parseConfigFile, resolveWebhookOptions, WEBHOOK_ENV, DEFAULT_LISTEN, DEFAULT_TLS_VALIDITY, type WebhookOptionSources } from "../../webhook/options.js";
import { createWebhookServer } from "../../webhook/server.js";
import { UsageError, type Command } from "../command.js";

const USAGE = `usage: avi webhook (--tls-cert FILE --tls-key FILE | --tls-secret NAME ...) --settings FILE [options]

Serves the mutating admission webhook over HTTPS: POST /mutate, GET /healthz, /readyz, /metrics.
The TLS files and the settings file are watched and reloaded without a restart.

  --listen HOST:PORT   listen address (default ${DEFAULT_LISTEN}; env ${WEBHOOK_ENV.listen})
  --tls-cert FILE      serving certificate, PEM (env ${WEBHOOK_ENV.tlsCert})
  --tls-key FILE       its private key, PEM (env ${WEBHOOK_ENV.tlsKey})
  --settings FILE      settings: vault, agent, injection, profiles (env ${WEBHOOK_ENV.settings})
  --log-level LEVEL    debug, info, warn, error (default info; env ${WEBHOOK_ENV.logLevel})
  --drain-delay DUR    after SIGTERM, report not-ready this long before closing (default 5s; env ${WEBHOOK_ENV.drainDelay})
  --config FILE        YAML with the same keys in camelCase (tlsCert, tlsSecret, driftReport, ...) (env ${WEBHOOK_ENV.config})

Cluster features (optional; they use the Kubernetes API, in-cluster or --kubeconfig):
  --tls-secret NAME    self-issued TLS: CA + certificate in this Secret, shared by every replica,
                       rotated with overlap (env ${WEBHOOK_ENV.tlsSecret}); needs:
  --webhook-configuration NAME  MutatingWebhookConfiguration whose caBundle is kept in sync (env ${WEBHOOK_ENV.webhookConfiguration})
  --service NAME       the webhook's Service (certificate for NAME.NAMESPACE.svc) (env ${WEBHOOK_ENV.service})
  --namespace NS       the webhook's namespace (default: AVI_POD_NAMESPACE or the pod's own) (env ${WEBHOOK_ENV.namespace})
  --tls-validity DUR   lifetime of each generation (default ${DEFAULT_TLS_VALIDITY}; rotated after 2/3) (env ${WEBHOOK_ENV.tlsValidity})
  --drift-report       report pods that ask for injection but were not injected: metric, log, Event (env ${WEBHOOK_ENV.driftReport}=true)
  --namespace-labels   look namespace labels up (cached) for Istio namespace injection (env ${WEBHOOK_ENV.namespaceLabels}=true)
  --kubeconfig FILE    instead of the in-cluster service account (env ${WEBHOOK_ENV.kubeconfig})
Flags override env, env overrides the config file.
`;

const FLAGS = {
  listen: { type: "string" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  settings: { type: "string" },
  "log-level": { type: "string" },
  "drain-delay": { type: "string" },
  config: { type: "string" },
  "tls-secret": { type: "string" },
  "webhook-configuration": { type: "string" },
  service: { type: "string" },
  namespace: { type: "string" },
  "tls-validity": { type: "string" },
  "drift-report": { type: "boolean" },
  "namespace-labels": { type: "boolean" },
  kubeconfig: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** The flags of `avi webhook` (the chart's Deployment args are checked against this in test/chart). */
export function parseWebhookArgs(argv: readonly string[]): ReturnType<typeof parseArgs<{ options: typeof FLAGS; strict: true }>>["values"] {
  return parseArgs({ args: [...argv], options: FLAGS, strict: true }).values;
}

/** Flags as option sources (flags override env, env the config file). */
export function flagSources(values: ReturnType<typeof parseWebhookArgs>): WebhookOptionSources {
  return {
    ...(values.listen !== undefined && { listen: values.listen }),
    ...(values["tls-cert"] !== undefined && { tlsCert: values["tls-cert"] }),
    ...(values["tls-key"] !== undefined && { tlsKey: values["tls-key"] }),
    ...(values.settings !== undefined && { settings: values.settings }),
    ...(values["log-level"] !== undefined && { logLevel: values["log-level"] as WebhookOptionSources["logLevel"] }),
    ...(values["drain-delay"] !== undefined && { drainDelay: values["drain-delay"] }),
    ...(values["tls-secret"] !== undefined && { tlsSecret: values["tls-secret"] }),
    ...(values["webhook-configuration"] !== undefined && { webhookConfiguration: values["webhook-configuration"] }),
    ...(values.service !== undefined && { service: values.service }),
    ...(values.namespace !== undefined && { namespace: values.namespace }),
    ...(values["tls-validity"] !== undefined && { tlsValidity: values["tls-validity"] }),
    ...(values["drift-report"] !== undefined && { driftReport: values["drift-report"] }),
    ...(values["namespace-labels"] !== undefined && { namespaceLabels: values["namespace-labels"] }),
    ...(values.kubeconfig !== undefined && { kubeconfig: values.kubeconfig }),
  };
}

export const webhookCommand: Command = {
  summary: "run the mutating admission webhook (HTTPS)",
  async run(argv) {
    let values;
    try {
      values = parseWebhookArgs(argv);
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
    }
    if (values.help === true) {
      process.stdout.write(USAGE);
      return 0;
    }
    const configFile = values.config ?? process.env[WEBHOOK_ENV.config];
    let options;
    try {
      const file = configFile === undefined ? {} : parseConfigFile(await readFile(configFile, "utf8"), configFile);
      const flags = flagSources(values);
      options = resolveWebhookOptions(flags, fromEnv(process.env), file, await inClusterNamespace((p) => readFile(p, "utf8")));
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
    }

    const logger = pino({ level: options.logLevel, base: { component: "webhook" } }, webhookLogDestination());
    const metrics = createMetrics();
    let server;
    let port;
    let features: ClusterFeatures | undefined;
    try {
      features = createClusterFeatures(options, logger, metrics);
      server = await createWebhookServer({
        ...(options.tlsCert !== undefined && { tlsCertFile: options.tlsCert }),
        ...(options.tlsKey !== undefined && { tlsKeyFile: options.tlsKey }),
        ...(features.tlsSource !== undefined && { tlsSource: features.tlsSource }),
        ...(features.namespaceLabels !== undefined && { namespaceLabels: features.namespaceLabels }),
        settingsFile: options.settings,
        logger,
        metrics,
      });
      port = await server.listen(options.host, options.port);
      // The drift report is not on the admission path: it may start (and retry) after we serve.
      features.drift?.start().then(
        () => logger.info("drift report watching pods"),
        (err: unknown) => logger.error({ err: (err as Error).message }, "drift report failed to start"),
      );
    } catch (err) {
      // Missing/invalid files and a busy port are configuration problems: say so without a stack trace.
      await server?.close();
      await features?.close();
      throw new UsageError((err as Error).message);
    }
    logger.info({ host: options.host, port }, "webhook listening");

    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info({ signal, drainDelay: options.drainDelay }, "shutting down: readiness off, then closing");
        server.drain();
        setTimeout(() => {
          Promise.all([server.close(), features?.close()]).then(() => resolve(), (err: unknown) => {
            logger.error({ err: String(err) }, "error while closing");
            resolve();
          });
        }, options.drainDelay * 1000);
      };
      process.once("SIGTERM", () => stop("SIGTERM"));
      process.once("SIGINT", () => stop("SIGINT"));
    });
    return 0;
  },
};
