/**
 * A kube-apiserver stand-in for authentication: `POST /apis/authentication.k8s.io/v1/tokenreviews` and
 * `GET /api/v1/namespaces/<name>`, over HTTPS with a generated CA (so Vault's `kubernetes_ca_cert` is
 * exercised) or plain HTTP. The caller's bearer token is authenticated (401 otherwise) and authorized
 * (`system:auth-delegator` binding for TokenReview, 403 otherwise), answers follow the Kubernetes API's
 * shapes, and an outage switch makes the endpoint refuse, fail or hang.
 */
import http from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import { createTestCertificateAuthority } from "../../tls/certificate-authority.js";
import type { ServiceAccountIssuer } from "./service-account-issuer.js";
import { reviewToken, type ReviewStatus } from "./token-review.js";

export type OutageMode = "reset" | "unavailable" | "hang";

export interface TokenReviewRecord {
  /** Epoch ms (issuer clock). */
  readonly time: number;
  /** Who asked (the bearer's username), or null when the bearer did not authenticate. */
  readonly reviewer: string | null;
  readonly requestedAudiences: readonly string[];
  readonly httpStatus: number;
  readonly status?: ReviewStatus;
}

export interface TokenReviewControls {
  /** `false` ends the outage. `reset`: connections are cut; `unavailable`: 503; `hang`: no answer. */
  setOutage(mode: OutageMode | false): void;
  /** Bind `system:auth-delegator` (may create TokenReviews) to a service account. */
  bindAuthDelegator(namespace: string, serviceAccount: string): void;
  unbindAuthDelegator(namespace: string, serviceAccount: string): void;
  /** Let a service account read namespaces (for `bound_service_account_namespace_selector`). */
  grantNamespaceRead(namespace: string, serviceAccount: string): void;
  /** Reviews answered so far (no tokens recorded). */
  reviews(): TokenReviewRecord[];
}

export interface TokenReviewServerOptions {
  readonly issuer: ServiceAccountIssuer;
  /** Loopback `host`; default `127.0.0.1`. Port 0 (ephemeral) unless `port` is given. */
  readonly host?: string;
  readonly port?: number;
  /** HTTPS with a generated CA (default true). */
  readonly tls?: boolean;
  /** Service accounts (`namespace/name`) bound to `system:auth-delegator` from the start. */
  readonly authDelegators?: readonly string[];
}

export interface TokenReviewServer {
  /** Base URL for Vault's `kubernetes_host`, e.g. `https://127.0.0.1:41234`. */
  readonly url: string;
  /** CA that signed the serving certificate (Vault's `kubernetes_ca_cert`); empty for plain HTTP. */
  readonly caPem: string;
  readonly controls: TokenReviewControls;
  stop(): Promise<void>;
}

function status(code: number, reason: string, message: string, details?: Record<string, unknown>): string {
  return JSON.stringify({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message, reason, ...(details === undefined ? {} : { details }), code });
}

function isLoopback(host: string): boolean {
  return host === "localhost" || host.startsWith("127.") || host === "::1";
}

/** Start the server; every socket is closed by `stop()`. */
export async function startTokenReviewServer(options: TokenReviewServerOptions): Promise<TokenReviewServer> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopback(host)) throw new Error(`TokenReview server host ${JSON.stringify(host)}: bind to loopback only (127.0.0.1, ::1, localhost)`);
  const { issuer } = options;
  const delegators = new Set(options.authDelegators ?? []);
  const namespaceReaders = new Set<string>();
  const records: TokenReviewRecord[] = [];
  let outage: OutageMode | false = false;
  const sockets = new Set<Socket>();

  async function authenticateBearer(req: http.IncomingMessage): Promise<ReviewStatus> {
    const auth = req.headers.authorization ?? "";
    if (!auth.startsWith("Bearer ")) return { authenticated: false };
    return reviewToken(issuer, auth.slice("Bearer ".length).trim(), [], issuer.clock.now());
  }

  function send(res: http.ServerResponse, code: number, body: string): void {
    res.writeHead(code, { "content-type": "application/json", "cache-control": "no-cache, private" }).end(body);
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const url = new URL(req.url ?? "/", "https://apiserver.invalid");
    const caller = await authenticateBearer(req);
    if (!caller.authenticated || caller.user === undefined) {
      if (url.pathname.endsWith("/tokenreviews")) records.push({ time: issuer.clock.now(), reviewer: null, requestedAudiences: [], httpStatus: 401 });
      send(res, 401, status(401, "Unauthorized", "Unauthorized"));
      return;
    }
    const subject = caller.user.username.replace(/^system:serviceaccount:/, "").replace(":", "/");
    if (req.method === "POST" && url.pathname === "/apis/authentication.k8s.io/v1/tokenreviews") {
      if (!delegators.has(subject)) {
        records.push({ time: issuer.clock.now(), reviewer: caller.user.username, requestedAudiences: [], httpStatus: 403 });
        send(
          res,
          403,
          status(403, "Forbidden", `tokenreviews.authentication.k8s.io is forbidden: User ${JSON.stringify(caller.user.username)} cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope`, {
            group: "authentication.k8s.io",
            kind: "tokenreviews",
          }),
        );
        return;
      }
      let review: { spec?: { token?: unknown; audiences?: unknown } };
      try {
        review = JSON.parse(body) as typeof review;
      } catch {
        send(res, 400, status(400, "BadRequest", "the object provided is unrecognized (not a TokenReview)"));
        return;
      }
      const token = typeof review.spec?.token === "string" ? review.spec.token : "";
      const audiences = Array.isArray(review.spec?.audiences) ? review.spec.audiences.filter((a): a is string => typeof a === "string") : [];
      if (token === "") {
        send(res, 422, status(422, "Invalid", 'TokenReview.authentication.k8s.io "" is invalid: spec.token: Required value'));
        return;
      }
      const result = await reviewToken(issuer, token, audiences, issuer.clock.now());
      records.push({ time: issuer.clock.now(), reviewer: caller.user.username, requestedAudiences: audiences, httpStatus: 201, status: result });
      const statusBody: Record<string, unknown> = result.authenticated
        ? { authenticated: true, user: result.user, audiences: result.audiences }
        : { user: {}, ...(result.error === undefined ? {} : { error: result.error }) };
      send(
        res,
        201,
        JSON.stringify({
          kind: "TokenReview",
          apiVersion: "authentication.k8s.io/v1",
          metadata: { creationTimestamp: null },
          spec: { token, ...(audiences.length > 0 ? { audiences } : {}) },
          status: statusBody,
        }),
      );
      return;
    }
    const ns = /^\/api\/v1\/namespaces\/([^/]+)$/.exec(url.pathname);
    if (req.method === "GET" && ns !== null) {
      const name = decodeURIComponent(ns[1]!);
      if (!namespaceReaders.has(subject)) {
        send(res, 403, status(403, "Forbidden", `namespaces ${JSON.stringify(name)} is forbidden: User ${JSON.stringify(caller.user.username)} cannot get resource "namespaces" in API group "" in the namespace ${JSON.stringify(name)}`, { name, kind: "namespaces" }));
        return;
      }
      const obj = issuer.cluster.namespace(name);
      if (obj === undefined) {
        send(res, 404, status(404, "NotFound", `namespaces ${JSON.stringify(name)} not found`, { name, kind: "namespaces" }));
        return;
      }
      send(res, 200, JSON.stringify({ kind: "Namespace", apiVersion: "v1", metadata: { name: obj.name, uid: obj.uid, labels: obj.labels }, spec: { finalizers: ["kubernetes"] }, status: { phase: "Active" } }));
      return;
    }
    send(res, 404, status(404, "NotFound", "the server could not find the requested resource"));
  }

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    if (outage === "reset") {
      req.socket.destroy();
      return;
    }
    if (outage === "hang") return;
    if (outage === "unavailable") {
      send(res, 503, status(503, "ServiceUnavailable", "the server is currently unable to handle the request"));
      return;
    }
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      handle(req, res, Buffer.concat(chunks).toString("utf8")).catch((err: unknown) => send(res, 500, status(500, "InternalError", String(err))));
    });
  };

  let caPem = "";
  let server: http.Server;
  if (options.tls ?? true) {
    const ca = await createTestCertificateAuthority("avi-sim kube-apiserver CA");
    const serving = await ca.issueServing();
    caPem = ca.caPem;
    server = https.createServer({ cert: serving.certPem, key: serving.keyPem, minVersion: "TLSv1.2" }, onRequest);
  } else server = http.createServer(onRequest);
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const hostForUrl = addr.family === "IPv6" ? `[${addr.address}]` : addr.address;
  return {
    url: `${options.tls ?? true ? "https" : "http"}://${hostForUrl}:${addr.port}`,
    caPem,
    controls: {
      setOutage(mode) {
        outage = mode;
        if (mode === "reset") for (const s of sockets) s.destroy();
      },
      bindAuthDelegator: (namespace, sa) => void delegators.add(`${namespace}/${sa}`),
      unbindAuthDelegator: (namespace, sa) => void delegators.delete(`${namespace}/${sa}`),
      grantNamespaceRead: (namespace, sa) => void namespaceReaders.add(`${namespace}/${sa}`),
      reviews: () => [...records],
    },
    stop() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
