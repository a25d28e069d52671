/**
 * The API server's side of the HTTP call (reference §1.1): POST over HTTPS verified against the
 * caBundle with ServerName `<svc>.<ns>.svc`, `?timeout=<N>s`, JSON, HTTP/1.1 on a keep-alive client,
 * User-Agent kube-apiserver-admission, aborted at the timeout. A failure to talk to the webhook is a
 * CallingError (subject to failurePolicy), worded as Go's client words it.
 */
import { Agent, request } from "node:https";

export interface WebhookEndpoint {
  /** Service reference, as in the MutatingWebhookConfiguration. */
  service: { name: string; namespace: string; path?: string; port?: number };
  /** PEM CA bundle (clientConfig.caBundle, decoded). */
  caBundle: string;
  /** Where the Service routes to in this test: always loopback. */
  dial: { host: string; port: number };
}

/** The DNS name the API server uses as TLS ServerName for a `service` client config: the cert needs it as a SAN. */
export function serviceDnsName(service: { name: string; namespace: string }): string {
  return `${service.name}.${service.namespace}.svc`;
}

export class CallingError extends Error {
  override readonly name = "CallingError";
}

export interface RawResponse {
  status: number;
  contentType: string | undefined;
  body: string;
}

export class WebhookClient {
  private readonly agent: Agent;

  constructor(private readonly endpoint: WebhookEndpoint) {
    // Go's transport keeps idle connections for 90 s; keep-alive is what the webhook's server timeouts must survive.
    this.agent = new Agent({ keepAlive: true, maxSockets: 64, ca: endpoint.caBundle, ALPNProtocols: ["http/1.1"] });
  }

  get url(): string {
    const { service } = this.endpoint;
    return `https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${service.path ?? "/"}`;
  }

  async post(body: unknown, timeoutSeconds: number): Promise<RawResponse> {
    const seconds = Math.max(1, Math.ceil(timeoutSeconds));
    const url = `${this.url}?timeout=${seconds}s`;
    const payload = Buffer.from(JSON.stringify(body));
    return new Promise<RawResponse>((resolve, reject) => {
      const fail = (reason: string): void => reject(new CallingError(`failed to call webhook: Post "${url}": ${reason}`));
      const req = request(
        {
          host: this.endpoint.dial.host,
          port: this.endpoint.dial.port,
          servername: serviceDnsName(this.endpoint.service),
          method: "POST",
          path: `${this.endpoint.service.path ?? "/"}?timeout=${seconds}s`,
          agent: this.agent,
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json, */*",
            "User-Agent": "kube-apiserver-admission",
            "Content-Length": payload.length,
          },
          timeout: seconds * 1000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () =>
            resolve({ status: res.statusCode ?? 0, contentType: res.headers["content-type"], body: Buffer.concat(chunks).toString("utf8") }),
          );
          res.on("error", (err) => fail(err.message));
        },
      );
      req.on("timeout", () => req.destroy(new Error("context deadline exceeded")));
      req.on("error", (err: NodeJS.ErrnoException) => fail(err.code === "ECONNRESET" ? "EOF" : err.message));
      req.end(payload);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
