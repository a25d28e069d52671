import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { fromEnv, parseConfigFile, resolveWebhookOptions, WEBHOOK_ENV, DEFAULT_LISTEN, type WebhookOptionSources } from "../../webhook/options.js";
import { createWebhookServer } from "../../webhook/server.js";
import { UsageError, type Command } from "../command.js";

const USAGE = `usage: avi webhook --tls-cert FILE --tls-key FILE --settings FILE [--listen HOST:PORT] [--config FILE]

Serves the mutating admission webhook over HTTPS: POST /mutate, GET /healthz, /readyz, /metrics.
The TLS files and the settings file are watched and reloaded without a restart.

  --listen HOST:PORT   listen address (default ${DEFAULT_LISTEN}; env ${WEBHOOK_ENV.listen})
  --tls-cert FILE      serving certificate, PEM (env ${WEBHOOK_ENV.tlsCert})
  --tls-key FILE       its private key, PEM (env ${WEBHOOK_ENV.tlsKey})
  --settings FILE      settings: vault, agent, injection, profiles (env ${WEBHOOK_ENV.settings})
  --log-level LEVEL    debug, info, warn, error (default info; env ${WEBHOOK_ENV.logLevel})
  --drain-delay DUR    after SIGTERM, report not-ready this long before closing (default 5s; env ${WEBHOOK_ENV.drainDelay})
  --config FILE        YAML with keys listen, tlsCert, tlsKey, settings, logLevel, drainDelay (env ${WEBHOOK_ENV.config})
Flags override env, env overrides the config file.
`;

export const webhookCommand: Command = {
  summary: "run the mutating admission webhook (HTTPS)",
  async run(argv) {
    let values;
    try {
      ({ values } = parseArgs({
        args: [...argv],
        options: {
          listen: { type: "string" },
          "tls-cert": { type: "string" },
          "tls-key": { type: "string" },
          settings: { type: "string" },
          "log-level": { type: "string" },
          "drain-delay": { type: "string" },
          config: { type: "string" },
          help: { type: "boolean", short: "h" },
        },
        strict: true,
      }));
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
      const flags: WebhookOptionSources = {
        ...(values.listen !== undefined && { listen: values.listen }),
        ...(values["tls-cert"] !== undefined && { tlsCert: values["tls-cert"] }),
        ...(values["tls-key"] !== undefined && { tlsKey: values["tls-key"] }),
        ...(values.settings !== undefined && { settings: values.settings }),
        ...(values["log-level"] !== undefined && { logLevel: values["log-level"] as WebhookOptionSources["logLevel"] }),
        ...(values["drain-delay"] !== undefined && { drainDelay: values["drain-delay"] }),
      };
      options = resolveWebhookOptions(flags, fromEnv(process.env), file);
    } catch (err) {
      throw new UsageError(`${(err as Error).message}\n\n${USAGE}`);
    }

    const logger = pino({ level: options.logLevel, base: { component: "webhook" } });
    let server;
    let port;
    try {
      server = await createWebhookServer({ tlsCertFile: options.tlsCert, tlsKeyFile: options.tlsKey, settingsFile: options.settings, logger });
      port = await server.listen(options.host, options.port);
    } catch (err) {
      // Missing/invalid files and a busy port are configuration problems: say so without a stack trace.
      await server?.close();
      throw new UsageError((err as Error).message);
    }
    logger.info({ host: options.host, port }, "webhook listening");

    await new Promise<void>((resolve) => {
      const stop = (signal: string): void => {
        logger.info({ signal, drainDelay: options.drainDelay }, "shutting down: readiness off, then closing");
        server.drain();
        setTimeout(() => {
          server.close().then(resolve, (err: unknown) => {
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
