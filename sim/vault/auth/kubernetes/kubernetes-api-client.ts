/**
 * The Kubernetes API calls the Kubernetes auth method makes: TokenReview on every login (always, even
 * with `pem_keys`) and a namespace read for `bound_service_account_namespace_selector`. TLS is verified
 * against `kubernetes_ca_cert` (or the system pool when it is empty), as the plugin does.
 */
import http from "node:http";
import https from "node:https";

export interface KubeConnection {
  /** `kubernetes_host`, e.g. `https://127.0.0.1:6443`. */
  readonly host: string;
  /** `kubernetes_ca_cert` PEM; empty = system CA pool. */
  readonly caPem: string;
  readonly timeoutMs: number;
}

export interface KubeResponse {
  readonly status: number;
  readonly body: string;
}

export function kubeRequest(conn: KubeConnection, method: string, path: string, bearer: string, body?: unknown): Promise<KubeResponse> {
  return new Promise((resolve, reject) => {
    let url: URL;
    try {
      url = new URL(`${conn.host.replace(/\/+$/, "")}${path}`);
    } catch (err) {
      reject(err instanceof Error ? err : new Error(String(err)));
      return;
    }
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const options: https.RequestOptions = {
      method,
      headers: {
        authorization: `Bearer ${bearer}`,
        accept: "application/json",
        ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
      },
      timeout: conn.timeoutMs,
    };
    if (url.protocol === "https:" && conn.caPem !== "") options.ca = conn.caPem;
    const transport = url.protocol === "https:" ? https : url.protocol === "http:" ? http : undefined;
    if (transport === undefined) {
      reject(new Error(`unsupported protocol scheme ${JSON.stringify(url.protocol.replace(/:$/, ""))}`));
      return;
    }
    const req = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error("context deadline exceeded (Client.Timeout exceeded while awaiting headers)")));
    req.on("error", reject);
    req.end(payload);
  });
}
