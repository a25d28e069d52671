// The TokenReview server: kube-apiserver's answers for valid, expired, mis-audienced and unbound tokens,
// reviewer authentication (401) and authorization (403), namespaces, TLS with its CA, and the outage switch.
import https from "node:https";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServiceAccountIssuer, startTokenReviewServer, type ServiceAccountIssuer, type TokenReviewServer } from "../../../../sim/apiserver/authn/index.js";

let now = Date.parse("2025-05-01T10:00:00Z");
let issuer: ServiceAccountIssuer;
let server: TokenReviewServer;
let reviewer: string;

function post(path: string, bearer: string | undefined, body: unknown, ca = server.caPem): Promise<{ status: number; body: ReturnType<typeof JSON.parse> }> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = https.request(
      `${server.url}${path}`,
      { method: body === undefined ? "GET" : "POST", ca, headers: { "content-type": "application/json", ...(bearer === undefined ? {} : { authorization: `Bearer ${bearer}` }) } },
      (res) => {
        let text = "";
        res.on("data", (c: Buffer) => (text += c.toString()));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text === "" ? undefined : JSON.parse(text) }));
      },
    );
    req.on("error", reject);
    req.end(body === undefined ? undefined : payload);
  });
}
const review = (token: string, audiences?: string[]) =>
  post("/apis/authentication.k8s.io/v1/tokenreviews", reviewer, { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, ...(audiences ? { audiences } : {}) } });

beforeAll(async () => {
  issuer = await createServiceAccountIssuer({ clock: { now: () => now } });
  server = await startTokenReviewServer({ issuer, authDelegators: ["vault/vault-auth"] });
  reviewer = await issuer.issueLegacy({ namespace: "vault", serviceAccount: "vault-auth" });
});
afterAll(async () => {
  await server.stop();
});

describe("TokenReview", () => {
  it("a valid pod token → 201 authenticated, username, SA uid, groups, pod extras, audiences", async () => {
    const jwt = await issuer.issue({ namespace: "airflow", serviceAccount: "worker", podName: "p1", audiences: ["vault"] });
    const res = await review(jwt, ["vault"]);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ kind: "TokenReview", apiVersion: "authentication.k8s.io/v1", spec: { token: jwt, audiences: ["vault"] } });
    const pod = issuer.cluster.pod("airflow", "p1")!;
    expect(res.body.status).toEqual({
      authenticated: true,
      user: {
        username: "system:serviceaccount:airflow:worker",
        uid: issuer.cluster.serviceAccount("airflow", "worker")!.uid,
        groups: ["system:serviceaccounts", "system:serviceaccounts:airflow", "system:authenticated"],
        extra: {
          "authentication.kubernetes.io/pod-name": ["p1"],
          "authentication.kubernetes.io/pod-uid": [pod.uid],
          "authentication.kubernetes.io/credential-id": [expect.stringMatching(/^JTI=/)],
        },
      },
      audiences: ["vault"],
    });
  });

  it("audiences that do not intersect → not authenticated with kube-apiserver's error", async () => {
    const jwt = await issuer.issue({ namespace: "airflow", serviceAccount: "worker", audiences: ["vault"] });
    const res = await review(jwt, ["other"]);
    expect(res.status).toBe(201);
    expect(res.body.status).toEqual({ user: {}, error: '[invalid bearer token, token audiences ["vault"] is invalid for the target audiences ["other"]]' });
  });

  it("without spec.audiences the API audiences apply", async () => {
    const jwt = await issuer.issue({ namespace: "airflow", serviceAccount: "worker" });
    const res = await review(jwt);
    expect(res.body.status.audiences).toEqual([issuer.issuer]);
  });

  it("expired beyond the one-minute leeway → service account token has expired", async () => {
    const jwt = await issuer.issue({ namespace: "airflow", serviceAccount: "worker", audiences: ["vault"], expirationSeconds: 600 });
    now += 660_000;
    expect((await review(jwt, ["vault"])).body.status.authenticated).toBe(true);
    now += 1000;
    expect((await review(jwt, ["vault"])).body.status.error).toBe("[invalid bearer token, service account token has expired]");
  });

  it("SA deleted, SA recreated, pod deleted, pod recreated → the matching validator errors", async () => {
    const sa = await issuer.issue({ namespace: "x", serviceAccount: "gone", audiences: ["vault"] });
    issuer.cluster.deleteServiceAccount("x", "gone");
    expect((await review(sa, ["vault"])).body.status.error).toBe('[invalid bearer token, serviceaccounts "gone" not found]');

    const recreated = await issuer.issue({ namespace: "x", serviceAccount: "again", audiences: ["vault"] });
    const fresh = issuer.cluster.recreateServiceAccount("x", "again");
    expect((await review(recreated, ["vault"])).body.status.error).toMatch(new RegExp(`^\\[invalid bearer token, service account UID \\(${fresh.uid}\\) does not match claim \\(.+\\)\\]$`));

    const pod = await issuer.issue({ namespace: "x", serviceAccount: "sa", podName: "p", audiences: ["vault"] });
    issuer.cluster.deletePod("x", "p");
    expect((await review(pod, ["vault"])).body.status.error).toBe("[invalid bearer token, service account token has been invalidated]");
    issuer.cluster.ensurePod("x", "p", "sa");
    expect((await review(pod, ["vault"])).body.status.error).toMatch(/does not match service account pod ref claim/);
  });

  it("a legacy token is valid while its Secret exists", async () => {
    const jwt = await issuer.issueLegacy({ namespace: "x", serviceAccount: "old", secretName: "old-token-aaaaa" });
    expect((await review(jwt)).body.status.authenticated).toBe(true);
    issuer.cluster.deleteTokenSecret("x", "old-token-aaaaa");
    expect((await review(jwt)).body.status.error).toBe("[invalid bearer token, Token has been invalidated]");
  });

  it("a token signed by another key → not authenticated (crypto error)", async () => {
    const other = await createServiceAccountIssuer({ clock: { now: () => now } });
    other.cluster.ensureServiceAccount("airflow", "worker", issuer.cluster.ensureServiceAccount("airflow", "worker").uid);
    const res = await review(await other.issue({ namespace: "airflow", serviceAccount: "worker", audiences: ["vault"] }), ["vault"]);
    expect(res.body.status).toEqual({ user: {}, error: "[invalid bearer token, square/go-jose: error in cryptographic primitive]" });
  });

  it("a token no authenticator recognises → authenticated false, no error", async () => {
    expect((await review("garbage", ["vault"])).body.status).toEqual({ user: {} });
  });

  it("spec.token missing → 422 Invalid", async () => {
    const res = await post("/apis/authentication.k8s.io/v1/tokenreviews", reviewer, { spec: {} });
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({ kind: "Status", reason: "Invalid", code: 422 });
  });
});

describe("the caller", () => {
  it("without a valid bearer → 401 Status Unauthorized", async () => {
    const res = await post("/apis/authentication.k8s.io/v1/tokenreviews", "nope", { spec: { token: "x" } });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 });
  });

  it("not bound to system:auth-delegator → 403 Status Forbidden with RBAC's message", async () => {
    const other = await issuer.issueLegacy({ namespace: "team", serviceAccount: "nobody" });
    const res = await post("/apis/authentication.k8s.io/v1/tokenreviews", other, { spec: { token: "x" } });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({
      reason: "Forbidden",
      code: 403,
      message: 'tokenreviews.authentication.k8s.io is forbidden: User "system:serviceaccount:team:nobody" cannot create resource "tokenreviews" in API group "authentication.k8s.io" at the cluster scope',
      details: { group: "authentication.k8s.io", kind: "tokenreviews" },
    });
  });

  it("reads namespaces (with labels) once granted; 404 for an unknown namespace", async () => {
    issuer.cluster.ensureNamespace("labelled", { team: "data" });
    expect((await post("/api/v1/namespaces/labelled", reviewer, undefined)).status).toBe(403);
    server.controls.grantNamespaceRead("vault", "vault-auth");
    const res = await post("/api/v1/namespaces/labelled", reviewer, undefined);
    expect(res.status).toBe(200);
    expect(res.body.metadata.labels).toEqual({ "kubernetes.io/metadata.name": "labelled", team: "data" });
    expect((await post("/api/v1/namespaces/absent", reviewer, undefined)).status).toBe(404);
  });
});

describe("TLS and outages", () => {
  it("the certificate verifies against caPem only", async () => {
    await expect(post("/apis/authentication.k8s.io/v1/tokenreviews", reviewer, { spec: { token: "x" } }, "")).rejects.toThrow();
  });

  it("reset, unavailable and hang outages; false restores service; reviews are recorded without tokens", async () => {
    const jwt = await issuer.issue({ namespace: "airflow", serviceAccount: "worker", audiences: ["vault"] });
    server.controls.setOutage("reset");
    await expect(review(jwt, ["vault"])).rejects.toThrow();
    server.controls.setOutage("unavailable");
    const unavailable = await review(jwt, ["vault"]);
    expect(unavailable.status).toBe(503);
    expect(unavailable.body).toMatchObject({ kind: "Status", reason: "ServiceUnavailable", code: 503 });
    server.controls.setOutage("hang");
    const hung = await Promise.race([review(jwt, ["vault"]).then(() => "answered"), new Promise((r) => setTimeout(() => r("no answer"), 100))]);
    expect(hung).toBe("no answer");
    server.controls.setOutage(false);
    expect((await review(jwt, ["vault"])).status).toBe(201);
    expect(JSON.stringify(server.controls.reviews())).not.toContain(jwt);
  });

  it("binds to loopback only", async () => {
    await expect(startTokenReviewServer({ issuer, host: "0.0.0.0" })).rejects.toThrow(/loopback only/);
  });
});
