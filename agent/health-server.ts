/**
 * Health and metrics on `health.host:health.port` (reachable by the kubelet; no secrets):
 * `/healthz` (process alive), `/ready` (200 once every credential was written at least once — the
 * injected startupProbe), `/metrics` (Prometheus text).
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { listen, type RunningServer } from "./endpoint-server.js";

export interface HealthOptions {
  readonly host: string;
  readonly port: number;
  readonly ready: () => boolean;
  readonly metrics: () => string;
}

export function startHealthServer(options: HealthOptions): Promise<RunningServer> {
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    try {
      route(req, res);
    } catch {
      // Never out of the handler: an uncaught error would end the agent without revoking anything.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  };
  const route = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0];
    const reply = (status: number, body: string, type = "text/plain; charset=utf-8"): void => {
      res.writeHead(status, { "content-type": type, "cache-control": "no-store", "content-length": String(Buffer.byteLength(body)) });
      res.end(req.method === "HEAD" ? undefined : body);
    };
    if (req.method !== "GET" && req.method !== "HEAD") return reply(405, "method not allowed\n");
    switch (path) {
      case "/healthz":
        return reply(200, "ok\n");
      case "/ready":
        return options.ready() ? reply(200, "ready\n") : reply(503, "credentials not written yet\n");
      case "/metrics":
        return reply(200, options.metrics(), "text/plain; version=0.0.4; charset=utf-8");
      default:
        return reply(404, "not found\n");
    }
  };
  return listen(createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8192 }, handle), options.host, options.port);
}
