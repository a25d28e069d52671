/**
 * kube-apiserver's REST surface for the resources in resources.ts, over HTTPS on loopback (port 0),
 * so `@kubernetes/client-node` talks to it through a generated kubeconfig. Conventions followed:
 * collection and item paths for the core group (`/api/v1`) and named groups (`/apis/<g>/<v>`),
 * list/watch (`?watch=1&resourceVersion=`, label and field selectors, `allowWatchBookmarks`),
 * create (201), update with resourceVersion preconditions (409 Conflict), merge and JSON patches,
 * delete; bearer-token authentication (401) and RBAC (403) with the real Status bodies.
 */
import { randomBytes } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import https from "node:https";
import type { AddressInfo, Socket } from "node:net";
import jsonpatch from "fast-json-patch";
import { createTestCertificateAuthority } from "../../tls/certificate-authority.js";
import { kubeconfigYaml } from "./kubeconfig.js";
import { ObjectStore, type JsonObject } from "./object-store.js";
import { Authorizer, SUPERUSER, type Grant } from "./rbac.js";
import { apiVersionOf, findResource, type ResourceDefinition } from "./resources.js";
import { exactName, matches, parseFieldSelector, parseLabelSelector } from "./selectors.js";
import { StatusError, badRequest, forbidden, methodNotAllowed, pathNotFound, unauthorized, unsupportedMediaType } from "./status.js";
import { openWatch, type OpenWatch } from "./watch-stream.js";

export interface RestServerOptions {
  readonly store?: ObjectStore;
  /** Loopback only; default 127.0.0.1, port 0. */
  readonly host?: string;
  readonly bookmarkIntervalMs?: number;
}

export interface RequestRecord {
  readonly user: string;
  readonly method: string;
  readonly path: string;
  readonly verb: string;
  readonly status: number;
}

export interface RestServer {
  readonly url: string;
  readonly caPem: string;
  readonly store: ObjectStore;
  readonly authorizer: Authorizer;
  /** A bearer token for `user` (e.g. `system:serviceaccount:avi-system:avi-webhook`), with its grants. */
  addUser(user: string, grants?: readonly Omit<Grant, "user">[]): string;
  /** A kubeconfig for a user added with addUser (the superuser's when omitted). */
  kubeconfig(token?: string, namespace?: string): string;
  /** Ends every open watch (an API server restart or a load balancer timeout): clients must re-watch. */
  closeWatches(): void;
  requests(): RequestRecord[];
  stop(): Promise<void>;
}

interface Target {
  def: ResourceDefinition;
  namespace?: string;
  name?: string;
}

/** `/api/v1/...` or `/apis/<group>/<version>/...` → resource, namespace and name. */
function route(pathname: string): Target {
  const parts = pathname.split("/").filter((p) => p !== "").map(decodeURIComponent);
  let group: string;
  let version: string;
  let rest: string[];
  if (parts[0] === "api" && parts[1] === "v1") [group, version, rest] = ["", "v1", parts.slice(2)];
  else if (parts[0] === "apis" && parts.length >= 3) [group, version, rest] = [parts[1]!, parts[2]!, parts.slice(3)];
  else throw pathNotFound();
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [plural = "", name, ...extra] = rest;
  const def = findResource(group, version, plural);
  if (def === undefined || extra.length > 0) throw pathNotFound();
  if (namespace !== undefined && !def.namespaced) throw pathNotFound();
  return { def, ...(namespace !== undefined && { namespace }), ...(name !== undefined && { name }) };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

function parseJson(text: string): JsonObject {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== "object" || value === null) throw new Error("not an object");
    return value as JsonObject;
  } catch (err) {
    throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
  }
}

/** RFC 7386. */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (typeof patch !== "object" || patch === null || Array.isArray(patch)) return patch;
  const out: JsonObject = typeof target === "object" && target !== null && !Array.isArray(target) ? { ...(target as JsonObject) } : {};
  for (const [k, v] of Object.entries(patch as JsonObject)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export async function startRestServer(options: RestServerOptions = {}): Promise<RestServer> {
  const host = options.host ?? "127.0.0.1";
  if (!(host === "localhost" || host.startsWith("127.") || host === "::1")) throw new Error(`REST simulator host ${host}: bind to loopback only`);
  const store = options.store ?? new ObjectStore();
  const authorizer = new Authorizer();
  const tokens = new Map<string, string>();
  const superToken = randomBytes(24).toString("hex");
  tokens.set(superToken, SUPERUSER);
  const watches = new Set<OpenWatch>();
  const records: RequestRecord[] = [];
  const sockets = new Set<Socket>();

  const send = (res: ServerResponse, code: number, body: unknown): void => {
    res.writeHead(code, { "content-type": "application/json", "cache-control": "no-cache, private" }).end(JSON.stringify(body));
  };

  async function handle(req: IncomingMessage, res: ServerResponse, seen: { user: string; verb: string }): Promise<void> {
    const url = new URL(req.url ?? "/", "https://apiserver.invalid");
    const auth = req.headers.authorization ?? "";
    const user = auth.startsWith("Bearer ") ? tokens.get(auth.slice(7).trim()) : undefined;
    if (user === undefined) throw unauthorized();
    seen.user = user;
    const target = route(url.pathname);
    const { def, namespace, name } = target;
    const method = req.method ?? "GET";
    const query = url.searchParams;
    const isWatch = query.get("watch") === "1" || query.get("watch") === "true";
    const fields = parseFieldSelector(query.get("fieldSelector"));
    const labels = parseLabelSelector(query.get("labelSelector"));

    let verb: string;
    if (name !== undefined) verb = ({ GET: "get", PUT: "update", PATCH: "patch", DELETE: "delete" } as Record<string, string>)[method] ?? "";
    else verb = method === "GET" ? (isWatch ? "watch" : "list") : method === "POST" ? "create" : "";
    if (verb === "") throw methodNotAllowed();
    seen.verb = verb;
    // list/watch limited by metadata.name=<x> are authorized as requests for that name (requestinfo.go).
    const authzName = name ?? (verb === "list" || verb === "watch" ? exactName(fields) : undefined);
    const decision = authorizer.authorize({ user, verb, group: def.group, resource: def.plural, ...(namespace !== undefined && { namespace }), ...(authzName !== undefined && { name: authzName }) });
    if (!decision.allowed) throw forbidden(def, verb, user, namespace, authzName);

    switch (verb) {
      case "get":
        return send(res, 200, store.get(def, namespace, name!));
      case "list": {
        const fieldsOf = (o: { metadata: { name: string; namespace?: string } }): Record<string, string> => ({
          "metadata.name": o.metadata.name,
          ...(o.metadata.namespace !== undefined && { "metadata.namespace": o.metadata.namespace }),
        });
        const items = store
          .list(def, namespace)
          .filter((o) => matches(labels, o.metadata.labels ?? {}) && matches(fields, fieldsOf(o)))
          .map(({ apiVersion: _a, kind: _k, ...item }) => item);
        return send(res, 200, { kind: `${def.kind}List`, apiVersion: apiVersionOf(def), metadata: { resourceVersion: String(store.currentRevision()) }, items });
      }
      case "watch": {
        const timeout = Number(query.get("timeoutSeconds") ?? "0");
        const rv = query.get("resourceVersion");
        const watch = openWatch(
          store,
          {
            def,
            ...(namespace !== undefined && { namespace }),
            labels,
            fields,
            ...(rv !== null && { resourceVersion: rv }),
            ...(timeout > 0 && { timeoutSeconds: timeout }),
            bookmarks: query.get("allowWatchBookmarks") === "true",
          },
          res,
          { bookmarkIntervalMs: options.bookmarkIntervalMs ?? 0 },
          () => watches.delete(watch),
        );
        watches.add(watch);
        return;
      }
      case "create": {
        const created = store.create(def, namespace, parseJson(await readBody(req)));
        return send(res, 201, created);
      }
      case "update": {
        const updated = store.update(def, namespace, name!, parseJson(await readBody(req)));
        return send(res, 200, updated);
      }
      case "patch": {
        const contentType = (req.headers["content-type"] ?? "").split(";")[0]!.trim();
        const text = await readBody(req);
        const current = store.get(def, namespace, name!);
        let next: unknown;
        if (contentType === "application/merge-patch+json") next = mergePatch(current, parseJson(text));
        else if (contentType === "application/json-patch+json") {
          let ops: jsonpatch.Operation[];
          try {
            ops = JSON.parse(text) as jsonpatch.Operation[];
          } catch (err) {
            throw badRequest(`the body of the request could not be decoded: ${(err as Error).message}`);
          }
          const error = jsonpatch.validate(ops, current);
          if (error !== undefined) throw new StatusError({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: error.message.split("\n")[0] ?? "", reason: "UnprocessableEntity", code: 422 });
          next = jsonpatch.applyPatch(current, ops, true, false).newDocument;
        } else throw unsupportedMediaType(contentType);
        // A patch carries no precondition unless it sets metadata.resourceVersion itself.
        const updated = store.update(def, namespace, name!, next as JsonObject);
        return send(res, 200, updated);
      }
      case "delete": {
        const deleted = store.delete(def, namespace, name!);
        return send(res, 200, deleted);
      }
    }
  }

  const ca = await createTestCertificateAuthority("avi-sim kube-apiserver CA");
  const serving = await ca.issueServing();
  const server = https.createServer({ cert: serving.certPem, key: serving.keyPem, minVersion: "TLSv1.2" }, (req, res) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const seen = { user: "", verb: "" };
    // Recorded when the response starts, so a long-running watch shows up while it is open.
    const writeHead = res.writeHead.bind(res) as (code: number, headers: Record<string, string>) => ServerResponse;
    res.writeHead = ((code: number, headers: Record<string, string>) => {
      records.push({ user: seen.user, method: req.method ?? "", path, verb: seen.verb, status: code });
      return writeHead(code, headers);
    }) as typeof res.writeHead;
    handle(req, res, seen).catch((err: unknown) => {
      const status = err instanceof StatusError ? err.status : { kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: String(err), reason: "InternalError", code: 500 };
      if (!res.headersSent) send(res, status.code, status);
      else res.end();
    });
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const addr = server.address() as AddressInfo;
  const url = `https://${addr.family === "IPv6" ? `[${addr.address}]` : addr.address}:${addr.port}`;

  return {
    url,
    caPem: ca.caPem,
    store,
    authorizer,
    addUser(user, grants = []) {
      const token = randomBytes(24).toString("hex");
      tokens.set(token, user);
      for (const g of grants) authorizer.grant({ ...g, user });
      return token;
    },
    kubeconfig(token = superToken, namespace) {
      return kubeconfigYaml({ server: url, caPem: ca.caPem, token, ...(namespace !== undefined && { namespace }) });
    },
    closeWatches() {
      for (const w of [...watches]) w.close();
    },
    requests: () => [...records],
    stop() {
      for (const w of [...watches]) w.close();
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}
