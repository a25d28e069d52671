/**
 * The API server's side of the HTTP call (kubernetes/apiserver `pkg/util/webhook/client.go`, v1.37): POST over HTTPS verified against the
 * caBundle with ServerName `<svc>.<ns>.svc`, `?timeout=<N>s`, JSON, HTTP/1.1 on a keep-alive client,
 * User-Agent kube-apiserver-admission, aborted at the timeout. A failure to talk to the webhook is a
 * CallingError (subject to failurePolicy), worded as Go's client words it.
 */
import { Agent, request } from "node:https";

export interface Dial {
  host: string;
  port: number;
}

export interface WebhookEndpoint {
  /** Service reference, as in the MutatingWebhookConfiguration. */
  service: { name: string; namespace: string; path?: string; port?: number };
  /**
   * PEM CA bundle (clientConfig.caBundle, decoded), or a function returning the current one: the API
   * server reads the MutatingWebhookConfiguration through an informer and builds a new client (new
   * connections, new trust) whenever the caBundle changes.
   */
  caBundle: string | (() => string);
  /**
   * Where the Service routes to in this test: always loopback. Several endpoints (replicas) are used
   * in turn, one per request, like the API server's per-request load balancing (1.37).
   */
  dial: Dial | readonly Dial[];
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
  /** One keep-alive client per caBundle seen (the API server caches clients by their config). */
  private readonly agents = new Map<string, Agent>();
  private next = 0;

  constructor(private readonly endpoint: WebhookEndpoint) {}

  private agentFor(caBundle: string): Agent {
    let agent = this.agents.get(caBundle);
    if (agent === undefined) {
      // Go's transport keeps idle connections for 90 s; keep-alive is what the webhook's server timeouts must survive.
      agent = new Agent({ keepAlive: true, maxSockets: 64, ca: caBundle, ALPNProtocols: ["http/1.1"] });
      this.agents.set(caBundle, agent);
    }
    return agent;
  }

  private dialNext(): Dial {
    const dials = Array.isArray(this.endpoint.dial) ? (this.endpoint.dial as readonly Dial[]) : [this.endpoint.dial as Dial];
    const dial = dials[this.next++ % dials.length];
    if (dial === undefined) throw new Error("webhook endpoint has no dial address");
    return dial;
  }

  get url(): string {
    const { service } = this.endpoint;
    return `https://${service.name}.${service.namespace}.svc:${service.port ?? 443}${service.path ?? "/"}`;
  }

  async post(body: unknown, timeoutSeconds: number): Promise<RawResponse> {
    const seconds = Math.max(1, Math.ceil(timeoutSeconds));
    const url = `${this.url}?timeout=${seconds}s`;
    const payload = Buffer.from(JSON.stringify(body));
    const caBundle = typeof this.endpoint.caBundle === "function" ? this.endpoint.caBundle() : this.endpoint.caBundle;
    const agent = this.agentFor(caBundle);
    const dial = this.dialNext();
    return new Promise<RawResponse>((resolve, reject) => {
      const fail = (reason: string): void => reject(new CallingError(`failed to call webhook: Post "${url}": ${reason}`));
      const req = request(
        {
          host: dial.host,
          port: dial.port,
          servername: serviceDnsName(this.endpoint.service),
          method: "POST",
          path: `${this.endpoint.service.path ?? "/"}?timeout=${seconds}s`,
          agent,
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
    for (const agent of this.agents.values()) agent.destroy();
    this.agents.clear();
  }
}
