/**
 * The simulator's HTTP(S) listener. Node's HTTP parser rejects the `LIST` verb Vault accepts (and other
 * unknown verbs Vault answers with 405), so such requests are taken from the parser error and answered
 * on the raw socket (one request, then close).
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Outcome } from "./request-handler.js";
import { MAX_REQUEST_BYTES, type RawRequest } from "./request.js";

export interface ListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly certPem: string; readonly keyPem: string };
}

export interface Listener {
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

function headerRecord(raw: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(", ") : v;
  return out;
}

const STATUS_TEXT = (status: number): string => http.STATUS_CODES[status] ?? "Unknown";

/** Parse a request head from bytes (for `LIST`, which Node's parser refuses). */
function parseRawHead(packet: Buffer): { raw: Omit<RawRequest, "remoteAddress">; complete: boolean } | undefined {
  const text = packet.toString("latin1");
  const end = text.indexOf("\r\n\r\n");
  if (end < 0) return undefined;
  const [requestLine, ...headerLines] = text.slice(0, end).split("\r\n");
  const m = /^([A-Z]+) (\S+) HTTP\/1\.[01]$/.exec(requestLine ?? "");
  if (m === null) return undefined;
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const idx = line.indexOf(":");
    if (idx <= 0) continue;
    const key = line.slice(0, idx).trim().toLowerCase();
    const value = line.slice(idx + 1).trim();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const length = Number(headers["content-length"] ?? "0");
  const body = packet.subarray(Buffer.byteLength(text.slice(0, end + 4), "latin1"));
  return { raw: { method: m[1]!, url: m[2]!, headers, body: body.subarray(0, length) }, complete: body.length >= length };
}

export async function listen(options: ListenerOptions, handle: (raw: RawRequest) => Promise<Outcome>): Promise<Listener> {
  const sockets = new Set<Socket>();

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_REQUEST_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on("end", () => {
      if (tooLarge) {
        res.writeHead(413, { "cache-control": "no-store", "content-type": "application/json" }).end('{"errors":["http: request body too large"]}\n');
        return;
      }
      const raw: RawRequest = {
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: headerRecord(req.headers),
        body: Buffer.concat(chunks),
        remoteAddress: req.socket.remoteAddress ?? "127.0.0.1",
      };
      handle(raw).then(
        (outcome) => {
          if (outcome.kind === "drop") req.socket.destroy();
          else if (outcome.kind === "response") res.writeHead(outcome.status, outcome.headers).end(outcome.body);
          // "hang": leave the request open; close() destroys the socket.
        },
        (err: unknown) => {
          res.writeHead(500, { "cache-control": "no-store", "content-type": "application/json" }).end(`${JSON.stringify({ errors: [String(err)] })}\n`);
        },
      );
    });
  };

  const server = options.tls === undefined ? http.createServer(onRequest) : https.createServer({ cert: options.tls.certPem, key: options.tls.keyPem, minVersion: "TLSv1.2" }, onRequest);
  server.keepAliveTimeout = 65_000;
  server.on("connection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("secureConnection", (socket: Socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });
  server.on("clientError", (err: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    const parsed = err.code === "HPE_INVALID_METHOD" && err.rawPacket !== undefined ? parseRawHead(err.rawPacket) : undefined;
    // LIST (and any other verb Node's parser refuses) still reaches Vault's logic: LIST lists, others get 405.
    if (parsed === undefined || !parsed.complete) {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      return;
    }
    handle({ ...parsed.raw, remoteAddress: socket.remoteAddress ?? "127.0.0.1" }).then(
      (outcome) => {
        if (outcome.kind !== "response") {
          if (outcome.kind === "drop") socket.destroy();
          return;
        }
        const body = outcome.body ?? "";
        const head = [
          `HTTP/1.1 ${outcome.status} ${STATUS_TEXT(outcome.status)}`,
          ...Object.entries(outcome.headers).map(([k, v]) => `${k}: ${v}`),
          `content-length: ${Buffer.byteLength(body)}`,
          "connection: close",
          `date: ${new Date().toUTCString()}`,
        ].join("\r\n");
        socket.end(`${head}\r\n\r\n${body}`);
      },
      () => socket.destroy(),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    address: `${options.tls === undefined ? "http" : "https"}://${hostForUrl}:${addr.port}`,
    port: addr.port,
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        server.closeAllConnections?.();
      });
    },
  };
}
