/**
 * The loopback credentials endpoint: `GET /v1/credentials/<name>` in the ECS container-credentials
 * protocol that botocore's ContainerProvider, the JS SDK's fromHttp/fromContainerMetadata and
 * minio-py's IamAwsProvider speak (botocore 1.43 `credentials.py` ContainerProvider,
 * @aws-sdk/credential-provider-http `fromHttp`, minio-py 7.2 `minio/credentials/providers.py`):
 * `{"AccessKeyId","SecretAccessKey","Token","Expiration"}`, `Token` always present, `Expiration` UTC Z.
 * `Authorization: <endpoint-token>` (a `Bearer ` prefix is tolerated), compared in constant time.
 * 401 without a token, 403 with a wrong one, 404 for an unknown name, 503 before the first fetch or
 * after the credential expired. Plain node:http: no framework in every task pod.
 * Any process in the pod can send anything here: the token is checked before the path is even
 * decoded, and no request can throw out of the handler (an uncaught error would end the agent
 * without revoking anything).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { awsExpiration } from "./aws-time.js";
import type { PublishedCredential } from "./published-credential.js";

export type EndpointAnswer =
  | { readonly status: 200; readonly credential: PublishedCredential }
  | { readonly status: 404 | 503; readonly message: string };

export interface EndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** What to answer for a credential name (already authorised). */
  readonly answer: (name: string) => EndpointAnswer;
  /**
   * Observes each answered request (metrics). `name` is the decoded credential name of an
   * authenticated request under the API prefix, else undefined; the caller must bound it.
   */
  readonly onRequest?: (name: string | undefined, status: number) => void;
}

export interface RunningServer {
  readonly port: number;
  close(): Promise<void>;
}

const PREFIX = "/v1/credentials/";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "cache-control": "no-store", "content-length": String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

function fail(res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void {
  send(res, status, { Code: code, Message: message }, headers);
}

export function credentialsBody({ credential, expiration }: PublishedCredential): Record<string, string> {
  return {
    AccessKeyId: credential.accessKeyId,
    SecretAccessKey: credential.secretAccessKey,
    Token: credential.sessionToken,
    Expiration: awsExpiration(expiration),
  };
}

export function startEndpointServer(options: EndpointOptions): Promise<RunningServer> {
  const expected = digest(options.token);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const seen: { name?: string } = {};
    let status: number;
    try {
      status = answer(req, res, seen);
    } catch {
      status = 500;
      if (!res.headersSent) fail(res, 500, "InternalError", "the agent could not answer; see its log");
      else res.destroy();
    }
    try {
      options.onRequest?.(seen.name, status);
    } catch {
      // Metrics must never take the endpoint down.
    }
  };
  const answer = (req: IncomingMessage, res: ServerResponse, seen: { name?: string }): number => {
    if (req.method !== "GET" && req.method !== "HEAD") {
      fail(res, 405, "MethodNotAllowed", "use GET", { allow: "GET, HEAD" });
      return 405;
    }
    const header = req.headers.authorization;
    if (header === undefined || header === "") {
      fail(res, 401, "Unauthorized", "missing Authorization header: send the content of the endpoint-token file");
      return 401;
    }
    const presented = header.startsWith("Bearer ") ? header.slice("Bearer ".length) : header;
    if (!timingSafeEqual(digest(presented), expected)) {
      fail(res, 403, "Forbidden", "wrong endpoint token");
      return 403;
    }
    const name = credentialName(req.url ?? "/");
    if (name !== undefined) seen.name = name;
    if (name === undefined || name === "" || name.includes("/")) {
      fail(res, 404, "NotFound", `no such path; use ${PREFIX}<credential name>`);
      return 404;
    }
    const result = options.answer(name);
    if (result.status === 200) {
      send(res, 200, credentialsBody(result.credential));
      return 200;
    }
    fail(res, result.status, result.status === 404 ? "NotFound" : "ServiceUnavailable", result.message, result.status === 503 ? { "retry-after": "1" } : {});
    return result.status;
  };
  return listen(createServer({ requestTimeout: 10_000, headersTimeout: 5_000, keepAliveTimeout: 5_000, maxHeaderSize: 8192 }, handle), options.host, options.port);
}

/** The decoded name after the API prefix; undefined outside it or when the escape is malformed. */
function credentialName(url: string): string | undefined {
  const path = url.split("?", 1)[0] ?? "/";
  if (!path.startsWith(PREFIX)) return undefined;
  try {
    return decodeURIComponent(path.slice(PREFIX.length));
  } catch {
    return undefined;
  }
}

export function listen(server: Server, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const failed = (err: Error): void => reject(new Error(`cannot listen on ${host}:${port}: ${err.message} — is another process (or a second agent) using the port?`));
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
