/**
 * Contract of the REST simulator, through the real @kubernetes/client-node and raw HTTPS: Kubernetes
 * API conventions (status codes, Status bodies and texts, resourceVersion preconditions, list/watch
 * semantics, RBAC decisions) as apimachinery/apiserver implement them.
 */
import { request } from "node:https";
import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { findResource, startRestServer, type RestServer } from "../../../../sim/apiserver/rest/index.js";

let rest: RestServer;
beforeAll(async () => {
  rest = await startRestServer();
});
afterAll(async () => {
  await rest.stop();
});

const SECRETS = findResource("", "v1", "secrets")!;

function call(method: string, path: string, token: string, body?: unknown, contentType = "application/json"): Promise<{ status: number; json: Record<string, unknown>; text: string }> {
  const url = new URL(path, rest.url);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method, ca: rest.caPem, headers: { authorization: `Bearer ${token}`, "content-type": contentType } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text.split("\n")[0] ?? "") as Record<string, unknown>;
          } catch {
            // watch streams are read by the caller
          }
          resolve({ status: res.statusCode ?? 0, json, text });
        });
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const admin = (): string => {
  const cfg = new KubeConfig();
  cfg.loadFromString(rest.kubeconfig());
  return cfg.getCurrentUser()?.token ?? "";
};

describe("objects and conflicts", () => {
  it("create (201), AlreadyExists (409), get, NotFound (404) with the real Status bodies", async () => {
    const token = admin();
    const created = await call("POST", "/api/v1/namespaces/ns1/secrets", token, { metadata: { name: "a" }, data: { k: "dg==" } });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ apiVersion: "v1", kind: "Secret", metadata: { name: "a", namespace: "ns1" } });
    expect(Number((created.json["metadata"] as { resourceVersion: string }).resourceVersion)).toBeGreaterThan(0);
    const again = await call("POST", "/api/v1/namespaces/ns1/secrets", token, { metadata: { name: "a" } });
    expect(again.status).toBe(409);
    expect(again.json).toEqual({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: 'secrets "a" already exists', reason: "AlreadyExists", details: { name: "a", kind: "secrets" }, code: 409 });
    const missing = await call("GET", "/apis/coordination.k8s.io/v1/namespaces/ns1/leases/x", token);
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({ message: 'leases.coordination.k8s.io "x" not found', reason: "NotFound", details: { name: "x", group: "coordination.k8s.io", kind: "leases" }, code: 404 });
    expect((await call("GET", "/api/v1/nothing", token)).json).toMatchObject({ code: 404, message: "the server could not find the requested resource" });
  });

  it("update with a stale resourceVersion is a 409 Conflict; a no-op update writes nothing", async () => {
    const token = admin();
    const a = (await call("POST", "/api/v1/namespaces/ns1/secrets", token, { metadata: { name: "b" } })).json as { metadata: { resourceVersion: string } };
    const ok = await call("PUT", "/api/v1/namespaces/ns1/secrets/b", token, { metadata: { name: "b", resourceVersion: a.metadata.resourceVersion }, data: { x: "eQ==" } });
    expect(ok.status).toBe(200);
    const stale = await call("PUT", "/api/v1/namespaces/ns1/secrets/b", token, { metadata: { name: "b", resourceVersion: a.metadata.resourceVersion } });
    expect(stale.status).toBe(409);
    expect(stale.json).toMatchObject({
      reason: "Conflict",
      message: 'Operation cannot be fulfilled on secrets "b": the object has been modified; please apply your changes to the latest version and try again',
    });
    const rv = (ok.json["metadata"] as { resourceVersion: string }).resourceVersion;
    const same = await call("PUT", "/api/v1/namespaces/ns1/secrets/b", token, { metadata: { name: "b", resourceVersion: rv }, data: { x: "eQ==" } });
    expect((same.json["metadata"] as { resourceVersion: string }).resourceVersion).toBe(rv);
    const failedTest = await call("PATCH", "/api/v1/namespaces/ns1/secrets/b", token, [{ op: "test", path: "/metadata/resourceVersion", value: "1" }], "application/json-patch+json");
    expect(failedTest.status).toBe(422);
    expect((await call("PATCH", "/api/v1/namespaces/ns1/secrets/b", token, {}, "application/strategic-merge-patch+json")).status).toBe(415);
  });
});

describe("list and watch", () => {
  it("lists with the collection's resourceVersion and selectors; watch replays from a version and streams", async () => {
    const token = admin();
    await call("POST", "/api/v1/namespaces/ns2/secrets", token, { metadata: { name: "w1", labels: { app: "x" } } });
    const list = await call("GET", "/api/v1/namespaces/ns2/secrets?labelSelector=app%3Dx", token);
    expect(list.json).toMatchObject({ kind: "SecretList", apiVersion: "v1", items: [{ metadata: { name: "w1" } }] });
    const from = (list.json["metadata"] as { resourceVersion: string }).resourceVersion;
    rest.store.create(SECRETS, "ns2", { metadata: { name: "w2", labels: { app: "x" } } });
    rest.store.create(SECRETS, "ns2", { metadata: { name: "other" } });
    const watch = await call("GET", `/api/v1/namespaces/ns2/secrets?watch=1&labelSelector=app%3Dx&resourceVersion=${from}&timeoutSeconds=1`, token);
    const events = watch.text.trim().split("\n").map((l) => JSON.parse(l) as { type: string; object: { metadata: { name: string } } });
    expect(events.map((e) => `${e.type} ${e.object.metadata.name}`)).toEqual(["ADDED w2"]);
  });

  it("a watch from a compacted version gets an ERROR event with 410 Expired", async () => {
    const token = admin();
    rest.store.create(SECRETS, "ns3", { metadata: { name: "c" } });
    rest.store.compact();
    const watch = await call("GET", "/api/v1/namespaces/ns3/secrets?watch=true&resourceVersion=2", token);
    expect(JSON.parse(watch.text.trim())).toMatchObject({ type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired", message: expect.stringMatching(/^too old resource version: 2 \(\d+\)$/) } });
  });
});

describe("authentication and RBAC", () => {
  it("401 without a known token; 403 with the RBAC text; resourceNames apply to get and name-selected list/watch", async () => {
    expect((await call("GET", "/api/v1/namespaces/ns1/secrets/a", "nope")).status).toBe(401);
    const user = "system:serviceaccount:avi-system:avi-webhook";
    const token = rest.addUser(user, [{ namespace: "ns1", rules: [{ apiGroups: [""], resources: ["secrets"], verbs: ["get", "list"], resourceNames: ["a"] }] }]);
    expect((await call("GET", "/api/v1/namespaces/ns1/secrets/a", token)).status).toBe(200);
    const other = await call("GET", "/api/v1/namespaces/ns1/secrets/b", token);
    expect(other.status).toBe(403);
    expect(other.json["message"]).toBe(`secrets "b" is forbidden: User "${user}" cannot get resource "secrets" in API group "" in the namespace "ns1"`);
    expect((await call("GET", "/api/v1/namespaces/ns1/secrets?fieldSelector=metadata.name%3Da", token)).status).toBe(200);
    expect((await call("GET", "/api/v1/namespaces/ns1/secrets", token)).status).toBe(403);
    expect((await call("GET", "/api/v1/namespaces/ns2/secrets/a", token)).status).toBe(403);
    const cluster = await call("GET", "/api/v1/pods", token);
    expect(cluster.json["message"]).toBe(`pods is forbidden: User "${user}" cannot list resource "pods" in API group "" at the cluster scope`);
    const decisions = rest.authorizer.decisions().filter((d) => d.user === user);
    expect(decisions.filter((d) => d.allowed)).toHaveLength(2);
  });

  it("works with @kubernetes/client-node through the generated kubeconfig", async () => {
    const kc = new KubeConfig();
    kc.loadFromString(rest.kubeconfig());
    const core = kc.makeApiClient(CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: "client-ns", labels: { team: "etl" } } } });
    const ns = await core.readNamespace({ name: "client-ns" });
    expect(ns.metadata?.labels).toEqual({ team: "etl", "kubernetes.io/metadata.name": "client-ns" });
  });
});

describe("startApiServerSim", () => {
  it("starts the REST server and the TokenReview server together and stops both", async () => {
    const { startApiServerSim } = await import("../../../../sim/apiserver/index.js");
    const { createServiceAccountIssuer } = await import("../../../../sim/apiserver/authn/index.js");
    const issuer = await createServiceAccountIssuer({});
    const sim = await startApiServerSim({ tokenReview: { issuer, authDelegators: ["vault/vault-auth"] } });
    try {
      expect(sim.rest.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      expect(sim.tokenReview?.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const jwt = await issuer.issueLegacy({ namespace: "vault", serviceAccount: "vault-auth" });
      const status = await new Promise<number>((resolve, reject) => {
        const url = new URL("/apis/authentication.k8s.io/v1/tokenreviews", sim.tokenReview!.url);
        const req = request(
          { host: url.hostname, port: url.port, path: url.pathname, method: "POST", ca: sim.tokenReview!.caPem, headers: { authorization: `Bearer ${jwt}`, "content-type": "application/json" } },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(JSON.stringify({ spec: { token: jwt } }));
      });
      expect(status).toBe(201);
    } finally {
      await sim.stop();
    }
  });
});
