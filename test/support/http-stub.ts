/**
 * A scripted HTTP server on 127.0.0.1 (ephemeral port) for client tests: each request is recorded and
 * answered by the next handler in the queue (or the fallback).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: string;
}

export type StubHandler = (req: RecordedRequest, res: ServerResponse) => void;

export interface HttpStub {
  readonly url: string;
  readonly requests: RecordedRequest[];
  /** Queue handlers for the next requests, in order. */
  next(...handlers: StubHandler[]): void;
  close(): Promise<void>;
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): StubHandler {
  return (_req, res) => {
    const text = body === undefined ? "" : `${JSON.stringify(body)}\n`;
    res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", ...headers });
    res.end(text);
  };
}

export async function startHttpStub(fallback: StubHandler = json(404, { errors: [] }), wrap?: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server): Promise<HttpStub> {
  const requests: RecordedRequest[] = [];
  const queue: StubHandler[] = [];
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const recorded = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") };
      requests.push(recorded);
      (queue.shift() ?? fallback)(recorded, res);
    });
  };
  const server = wrap === undefined ? createServer(handler) : wrap(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const scheme = wrap === undefined ? "http" : "https";
  return {
    url: `${scheme}://127.0.0.1:${port}`,
    requests,
    next: (...handlers) => queue.push(...handlers),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
