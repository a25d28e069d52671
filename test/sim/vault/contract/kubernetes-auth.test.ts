// Contract tests for Kubernetes auth (vault-plugin-auth-kubernetes v0.24.1: login, failure matrix,
// config, roles),
// against the simulator or a real Vault (which then calls this test's TokenReview server on loopback).
import { generateKeyPair, SignJWT } from "jose";
import { afterAll, beforeAll, expect, it } from "vitest";
import { setUpKubernetesAuth, type KubernetesAuth } from "../support/kubernetes.js";
import { describeContract, ttlCapWarning, type VaultTarget } from "../support/target.js";

/** A JWT with projected-token claims signed by a key the cluster does not know. */
async function foreignJwt(claims: Record<string, unknown>, alg: "RS256" | "HS256" = "RS256"): Promise<string> {
  if (alg === "HS256") return new SignJWT(claims).setProtectedHeader({ alg }).sign(new TextEncoder().encode("0123456789abcdef0123456789abcdef"));
  const { privateKey } = await generateKeyPair("RS256");
  return new SignJWT(claims).setProtectedHeader({ alg }).sign(privateKey);
}

const nowS = (t: VaultTarget): number => Math.floor((t.sim?.clock.now() ?? Date.now()) / 1000);

function withK8s(t: () => VaultTarget, config: Record<string, unknown> = {}): () => KubernetesAuth {
  let k8s: KubernetesAuth | undefined;
  beforeAll(async () => {
    k8s = await setUpKubernetesAuth(t(), config);
  });
  afterAll(async () => {
    await k8s?.stop();
  });
  return () => k8s!;
}

const ROLE = { bound_service_account_names: "airflow-*", bound_service_account_namespaces: "team-a", audience: "vault", token_policies: "etl", token_ttl: "1h", token_max_ttl: "4h" };

describeContract("path_login.go: login success", (t) => {
  const k = withK8s(t);

  it("answers 200 with the auth block, the 5 metadata keys, sorted policies and an entity", async () => {
    expect((await k().role("app", ROLE)).status).toBe(204);
    const jwt = await k().podToken("team-a", "airflow-worker");
    const res = await k().login("app", jwt);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ lease_id: "", renewable: false, lease_duration: 0, data: null, wrap_info: null, warnings: null, mount_type: "kubernetes" });
    const auth = res.body.auth;
    expect(auth.client_token).toMatch(/^hvs\./);
    expect(auth.accessor).toMatch(/^[A-Za-z0-9]{24}$/);
    expect(auth.policies).toEqual(["default", "etl"]);
    expect(auth.token_policies).toEqual(["default", "etl"]);
    const sa = k().issuer.cluster.serviceAccount("team-a", "airflow-worker")!;
    expect(auth.metadata).toEqual({
      role: "app",
      service_account_name: "airflow-worker",
      service_account_namespace: "team-a",
      service_account_secret_name: "",
      service_account_uid: sa.uid,
    });
    expect(auth).toMatchObject({ lease_duration: 3600, renewable: true, token_type: "service", orphan: true });
    expect(auth.entity_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("the same service account maps to the same entity on every login; another one to another entity", async () => {
    await k().role("app", ROLE);
    const a1 = await k().login("app", await k().podToken("team-a", "airflow-worker"));
    const a2 = await k().login("app", await k().podToken("team-a", "airflow-worker"));
    const b = await k().login("app", await k().podToken("team-a", "airflow-scheduler"));
    expect(a1.body.auth.entity_id).toBe(a2.body.auth.entity_id);
    expect(b.body.auth.entity_id).not.toBe(a1.body.auth.entity_id);
  });

  it("lookup-self shows the display name <mount>-<ns>-<sa> and the login path", async () => {
    await k().role("app", ROLE);
    const login = await k().login("app", await k().podToken("team-a", "airflow-worker"));
    const res = await t().request("GET", "/v1/auth/token/lookup-self", { token: login.body.auth.client_token });
    expect(res.body.data.display_name).toBe(`${k().mount}-team-a-airflow-worker`);
    expect(res.body.data.path).toBe(`auth/${k().mount}/login`);
    expect(res.body.data.meta.role).toBe("app");
  });

  it("a legacy secret-based token works and fills service_account_secret_name", async () => {
    await k().role("legacy", { bound_service_account_names: "old-sa", bound_service_account_namespaces: "team-a", token_policies: "etl" });
    const jwt = await k().issuer.issueLegacy({ namespace: "team-a", serviceAccount: "old-sa", secretName: "old-sa-token-abcde" });
    const res = await k().login("legacy", jwt);
    expect(res.status).toBe(200);
    expect(res.body.auth.metadata.service_account_secret_name).toBe("old-sa-token-abcde");
  });

  it("TokenReview is asked for the role's audience, or the JWT's own audiences when the role has none", async () => {
    await k().role("aud", ROLE);
    await k().role("noaud", { ...ROLE, audience: "" });
    const before = k().tokenReview.controls.reviews().length;
    await k().login("aud", await k().podToken("team-a", "airflow-worker", { audiences: ["vault", "other"] }));
    await k().login("noaud", await k().podToken("team-a", "airflow-worker", { audiences: ["x", "y"] }));
    const reviews = k().tokenReview.controls.reviews().slice(before);
    expect(reviews.map((r) => r.requestedAudiences)).toEqual([["vault"], ["x", "y"]]);
    expect(reviews.every((r) => r.reviewer === "system:serviceaccount:vault:vault-auth")).toBe(true);
  });

  it("role names are case-insensitive", async () => {
    await k().role("MixedCase", ROLE);
    expect((await k().login("mixedcase", await k().podToken("team-a", "airflow-worker"))).status).toBe(200);
  });

  it("token_period gives a periodic token (lease_duration = period)", async () => {
    await k().role("periodic", { ...ROLE, token_ttl: undefined, token_max_ttl: undefined, token_period: "20m" });
    const res = await k().login("periodic", await k().podToken("team-a", "airflow-worker"));
    expect(res.body.auth.lease_duration).toBe(1200);
    const look = await t().request("GET", "/v1/auth/token/lookup-self", { token: res.body.auth.client_token });
    expect(look.body.data.period).toBe(1200);
  });

  it("token_type batch gives an hvb. token: renewable false, orphan true", async () => {
    await k().role("batch", { ...ROLE, token_type: "batch" });
    const res = await k().login("batch", await k().podToken("team-a", "airflow-worker"));
    expect(res.status).toBe(200);
    expect(res.body.auth.client_token).toMatch(/^hvb\./);
    expect(res.body.auth).toMatchObject({ renewable: false, orphan: true, token_type: "batch" });
  });

  it("with pem_keys the signature is verified locally and a good token still passes", async () => {
    const mount = await t().mount("auth", "kubernetes");
    const res = await t().request("POST", `/v1/auth/${mount}/config`, {
      body: { kubernetes_host: k().tokenReview.url, kubernetes_ca_cert: k().tokenReview.caPem, token_reviewer_jwt: k().reviewerJwt, pem_keys: [k().issuer.publicKeyPem] },
    });
    expect(res.status).toBe(204);
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: ROLE });
    const ok = await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt: await k().podToken("team-a", "airflow-worker") } });
    expect(ok.status).toBe(200);
  });

  it("without token_reviewer_jwt the login JWT itself is the TokenReview bearer (its SA needs system:auth-delegator)", async () => {
    const mount = await t().mount("auth", "kubernetes");
    await t().request("POST", `/v1/auth/${mount}/config`, { body: { kubernetes_host: k().tokenReview.url, kubernetes_ca_cert: k().tokenReview.caPem } });
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: { ...ROLE, bound_service_account_names: "self-reviewer" } });
    // The login JWT doubles as the API bearer, so it must also carry the API server's audience.
    const jwt = await k().podToken("team-a", "self-reviewer", { audiences: ["vault", k().issuer.issuer] });
    const login = async (): Promise<number> => (await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt } })).status;
    expect(await login()).toBe(403);
    k().tokenReview.controls.bindAuthDelegator("team-a", "self-reviewer");
    expect(await login()).toBe(200);
    expect(k().tokenReview.controls.reviews().at(-1)?.reviewer).toBe("system:serviceaccount:team-a:self-reviewer");
  });

  it("namespace selector: a namespace with matching labels is authorized", async () => {
    k().issuer.cluster.ensureNamespace("team-sel", { team: "data" });
    k().tokenReview.controls.grantNamespaceRead("vault", "vault-auth");
    await k().role("sel", { ...ROLE, bound_service_account_namespaces: [], bound_service_account_namespace_selector: '{"matchLabels":{"team":"data"}}' });
    expect((await k().login("sel", await k().podToken("team-sel", "airflow-worker"))).status).toBe(200);
  });
}, { callsBack: true });

describeContract("path_login.go: login failure matrix", (t) => {
  const k = withK8s(t);
  beforeAll(async () => {
    await k().role("app", ROLE);
  });

  it("role empty/missing → 400 missing role", async () => {
    const res = await t().request("POST", `/v1/auth/${k().mount}/login`, { token: null, body: { jwt: "x" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["missing role"] });
  });

  it("jwt empty/missing → 400 missing jwt", async () => {
    const res = await t().request("POST", `/v1/auth/${k().mount}/login`, { token: null, body: { role: "app", jwt: "" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["missing jwt"] });
  });

  it("role does not exist → 400 invalid role name", async () => {
    const res = await k().login("nope", "x.y.z");
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ['invalid role name "nope"'] });
  });

  it("token_bound_cidrs mismatch → 403 permission denied (plain)", async () => {
    await k().role("cidr", { ...ROLE, token_bound_cidrs: "10.99.0.0/16" });
    const res = await k().login("cidr", await k().podToken("team-a", "airflow-worker"));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("no config written → 500 could not load backend configuration", async () => {
    const mount = await t().mount("auth", "kubernetes");
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: ROLE });
    const res = await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt: "a.b.c" } });
    expect(res.status).toBe(500);
    expect(res.body.errors[0]).toContain("could not load backend configuration");
  });

  it("malformed JWT → 403 permission denied", async () => {
    const res = await k().login("app", "not-a-jwt");
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("wrong algorithm (HS256) → 403 permission denied", async () => {
    const res = await k().login("app", await foreignJwt({ sub: "x" }, "HS256"));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("bad signature against pem_keys → 403 permission denied", async () => {
    const mount = await t().mount("auth", "kubernetes");
    const other = await generateKeyPair("RS256", { extractable: true });
    const { exportSPKI } = await import("jose");
    await t().request("POST", `/v1/auth/${mount}/config`, {
      body: { kubernetes_host: k().tokenReview.url, kubernetes_ca_cert: k().tokenReview.caPem, token_reviewer_jwt: k().reviewerJwt, pem_keys: await exportSPKI(other.publicKey) },
    });
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: ROLE });
    const res = await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt: await k().podToken("team-a", "airflow-worker") } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("expired (exp past beyond the 60 s skew) → 403 invalid expiration time", async () => {
    const jwt = await k().podToken("team-a", "airflow-worker", { now: (nowS(t()) - 7200) * 1000, expirationSeconds: 3600 });
    const res = await k().login("app", jwt);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["invalid expiration time (exp) claim: token is expired"] });
  });

  it("nbf in the future → 403 token not yet valid", async () => {
    const jwt = await k().podToken("team-a", "airflow-worker", { now: (nowS(t()) + 3600) * 1000 });
    const res = await k().login("app", jwt);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["invalid not before (nbf) claim: token not yet valid"] });
  });

  it("iat in the future (nbf fine) → 403 token issued in the future", async () => {
    const now = nowS(t());
    const jwt = await foreignJwt({
      aud: ["vault"],
      nbf: now - 10,
      iat: now + 3600,
      exp: now + 7200,
      "kubernetes.io": { namespace: "team-a", serviceaccount: { name: "airflow-worker", uid: "u" } },
    });
    const res = await k().login("app", jwt);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["invalid issued at (iat) claim: token issued in the future"] });
  });

  it("role audience not in aud → 403 invalid audience", async () => {
    const res = await k().login("app", await k().podToken("team-a", "airflow-worker", { audiences: ["something-else"] }));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["invalid audience (aud) claim: audience claim does not match any expected audience"] });
  });

  it("issuer mismatch with disable_iss_validation=false and issuer set → 403 invalid issuer", async () => {
    const mount = await t().mount("auth", "kubernetes");
    await t().request("POST", `/v1/auth/${mount}/config`, {
      body: { kubernetes_host: k().tokenReview.url, kubernetes_ca_cert: k().tokenReview.caPem, token_reviewer_jwt: k().reviewerJwt, disable_iss_validation: false, issuer: "https://elsewhere.example" },
    });
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: ROLE });
    const res = await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt: await k().podToken("team-a", "airflow-worker") } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["invalid issuer (iss) claim"] });
  });

  it("issuer is not enforced by default (disable_iss_validation defaults to true)", async () => {
    const mount = await t().mount("auth", "kubernetes");
    await t().request("POST", `/v1/auth/${mount}/config`, {
      body: { kubernetes_host: k().tokenReview.url, kubernetes_ca_cert: k().tokenReview.caPem, token_reviewer_jwt: k().reviewerJwt, issuer: "https://elsewhere.example" },
    });
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: ROLE });
    const res = await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt: await k().podToken("team-a", "airflow-worker") } });
    expect(res.status).toBe(200);
  });

  it("SA name not bound (glob) → 403 service account name not authorized", async () => {
    const res = await k().login("app", await k().podToken("team-a", "web-frontend"));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["service account name not authorized"] });
  });

  it("namespace not bound → 403 namespace not authorized", async () => {
    const res = await k().login("app", await k().podToken("team-b", "airflow-worker"));
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["namespace not authorized"] });
  });

  it("namespace selector that cannot be evaluated → 403 namespace not authorized err=…", async () => {
    k().issuer.cluster.ensureNamespace("team-nolabels");
    await k().role("sel", { ...ROLE, bound_service_account_namespaces: [], bound_service_account_namespace_selector: '{"matchLabels":{"team":"data"}}' });
    const res = await k().login("sel", await k().podToken("team-nolabels", "airflow-worker"));
    expect(res.status).toBe(403);
    expect(res.body.errors[0]).toMatch(/^namespace not authorized( err=.+)?$/);
  });

  it("TokenReview: token not authenticated (signed by an unknown key) → 403 permission denied", async () => {
    const now = nowS(t());
    const sa = k().issuer.cluster.ensureServiceAccount("team-a", "airflow-worker");
    const jwt = await foreignJwt({
      iss: k().issuer.issuer,
      sub: "system:serviceaccount:team-a:airflow-worker",
      aud: ["vault"],
      iat: now,
      nbf: now,
      exp: now + 3600,
      "kubernetes.io": { namespace: "team-a", serviceaccount: { name: "airflow-worker", uid: sa.uid } },
    });
    const res = await k().login("app", jwt);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("TokenReview: service account deleted → 403 permission denied", async () => {
    const jwt = await k().podToken("team-a", "airflow-deleted");
    k().issuer.cluster.deleteServiceAccount("team-a", "airflow-deleted");
    const res = await k().login("app", jwt);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("TokenReview: service account recreated (UID mismatch) → 403 permission denied", async () => {
    const jwt = await k().podToken("team-a", "airflow-recreated");
    k().issuer.cluster.recreateServiceAccount("team-a", "airflow-recreated");
    expect((await k().login("app", jwt)).status).toBe(403);
  });

  it("TokenReview: bound pod deleted → 403 permission denied", async () => {
    const jwt = await k().issuer.issue({ namespace: "team-a", serviceAccount: "airflow-worker", podName: "gone-pod", audiences: ["vault"] });
    expect((await k().login("app", jwt)).status).toBe(200);
    k().issuer.cluster.deletePod("team-a", "gone-pod");
    const res = await k().login("app", jwt);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("TokenReview: legacy token whose Secret was deleted → 403 permission denied", async () => {
    await k().role("legacy", { bound_service_account_names: "old-sa", bound_service_account_namespaces: "team-a" });
    const jwt = await k().issuer.issueLegacy({ namespace: "team-a", serviceAccount: "old-sa", secretName: "old-sa-token-zzzzz" });
    k().issuer.cluster.deleteTokenSecret("team-a", "old-sa-token-zzzzz");
    expect((await k().login("legacy", jwt)).status).toBe(403);
  });

  it("TokenReview: reviewer not allowed to create TokenReviews (403 from the API) → 403 permission denied", async () => {
    k().tokenReview.controls.unbindAuthDelegator("vault", "vault-auth");
    try {
      const res = await k().login("app", await k().podToken("team-a", "airflow-worker"));
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ errors: ["permission denied"] });
    } finally {
      k().tokenReview.controls.bindAuthDelegator("vault", "vault-auth");
    }
  });

  it("TokenReview: Kubernetes API unreachable (connection reset) → 403 permission denied", async () => {
    const jwt = await k().podToken("team-a", "airflow-worker");
    k().tokenReview.controls.setOutage("reset");
    try {
      const res = await k().login("app", jwt);
      expect(res.status).toBe(403);
      expect(res.body).toEqual({ errors: ["permission denied"] });
    } finally {
      k().tokenReview.controls.setOutage(false);
    }
    expect((await k().login("app", jwt)).status).toBe(200);
  });

  it("TokenReview: Kubernetes API answering 503 → 403 permission denied", async () => {
    k().tokenReview.controls.setOutage("unavailable");
    try {
      expect((await k().login("app", await k().podToken("team-a", "airflow-worker"))).status).toBe(403);
    } finally {
      k().tokenReview.controls.setOutage(false);
    }
  });

  it("TokenReview: kubernetes_ca_cert does not match the API server's certificate → 403 permission denied", async () => {
    const mount = await t().mount("auth", "kubernetes");
    await t().request("POST", `/v1/auth/${mount}/config`, { body: { kubernetes_host: k().tokenReview.url, token_reviewer_jwt: k().reviewerJwt } });
    await t().request("POST", `/v1/auth/${mount}/role/app`, { body: ROLE });
    const res = await t().request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role: "app", jwt: await k().podToken("team-a", "airflow-worker") } });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ errors: ["permission denied"] });
  });

  it("UID claim missing → 500 could not parse UID from claims", async () => {
    const now = nowS(t());
    const jwt = await foreignJwt({ aud: ["vault"], iat: now, nbf: now, exp: now + 600, "kubernetes.io": { namespace: "team-a", serviceaccount: { name: "airflow-worker" } } });
    const res = await k().login("app", jwt);
    expect(res.status).toBe(500);
    expect(res.body.errors[0]).toContain("could not parse UID from claims");
  });
}, { callsBack: true });

describeContract("path_config.go: config", (t) => {
  it("kubernetes_host is required → 400 no host provided", async () => {
    const mount = await t().mount("auth", "kubernetes");
    const res = await t().request("POST", `/v1/auth/${mount}/config`, { body: {} });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["no host provided"] });
  });

  it("a CA that is not PEM → 400", async () => {
    const mount = await t().mount("auth", "kubernetes");
    const res = await t().request("POST", `/v1/auth/${mount}/config`, { body: { kubernetes_host: "https://127.0.0.1:1", kubernetes_ca_cert: "not a pem" } });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["The provided CA PEM data contains no valid certificates"] });
  });

  it("pem_keys that hold no RSA/ECDSA key → 400", async () => {
    const mount = await t().mount("auth", "kubernetes");
    const res = await t().request("POST", `/v1/auth/${mount}/config`, {
      body: { kubernetes_host: "https://127.0.0.1:1", pem_keys: ["-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"] },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/data does not contain any valid RSA or ECDSA public keys|asn1/);
  });

  it("read never returns token_reviewer_jwt, only token_reviewer_jwt_set; defaults as documented", async () => {
    const mount = await t().mount("auth", "kubernetes");
    await t().request("POST", `/v1/auth/${mount}/config`, { body: { kubernetes_host: "https://127.0.0.1:1", token_reviewer_jwt: "secret-jwt" } });
    const res = await t().request("GET", `/v1/auth/${mount}/config`);
    expect(res.status).toBe(200);
    expect(res.body.data).not.toHaveProperty("token_reviewer_jwt");
    expect(res.body.data).toMatchObject({
      kubernetes_host: "https://127.0.0.1:1",
      kubernetes_ca_cert: "",
      token_reviewer_jwt_set: true,
      disable_iss_validation: true,
      disable_local_ca_jwt: false,
      use_annotations_as_alias_metadata: false,
    });
    expect(text(res.body.data.pem_keys)).toBe("[]");
  });
});

const text = (v: unknown): string => JSON.stringify(v);

describeContract("path_role.go: roles", (t) => {
  let mount = "";
  beforeAll(async () => {
    mount = await t().mount("auth", "kubernetes");
  });
  const write = (name: string, body: Record<string, unknown>) => t().request("POST", `/v1/auth/${mount}/role/${name}`, { body });

  it("bound_service_account_names is required", async () => {
    const res = await write("r", { bound_service_account_namespaces: "ns" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ['"bound_service_account_names" can not be empty'] });
  });

  it('"*" cannot be mixed with other names', async () => {
    const res = await write("r", { bound_service_account_names: ["*", "a"], bound_service_account_namespaces: "ns" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ['can not mix "*" with values'] });
  });

  it("namespaces are required unless a selector is set", async () => {
    const res = await write("r", { bound_service_account_names: "a" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ['"bound_service_account_namespaces" can not be empty if "bound_service_account_namespace_selector" is not set'] });
  });

  it("token ttl above token max ttl is refused", async () => {
    const res = await write("r", { bound_service_account_names: "a", bound_service_account_namespaces: "ns", token_ttl: "2h", token_max_ttl: "1h" });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: ["token ttl should not be greater than token max ttl"] });
  });

  it("an unknown alias_name_source is refused", async () => {
    const res = await write("r", { bound_service_account_names: "a", bound_service_account_namespaces: "ns", alias_name_source: "pod_name" });
    expect(res.status).toBe(400);
    expect(res.body.errors[0]).toMatch(/^invalid alias_name_source "pod_name"/);
  });

  it("a role without audience is written with a warning (200); with one, 204", async () => {
    const warned = await write("w", { bound_service_account_names: "a", bound_service_account_namespaces: "ns" });
    expect(warned.status).toBe(200);
    expect(warned.body.warnings).toHaveLength(1);
    expect((await write("q", { bound_service_account_names: "a", bound_service_account_namespaces: "ns", audience: "vault" })).status).toBe(204);
  });

  it("durations as strings or seconds; read shows token fields in seconds, defaults, alias_name_source", async () => {
    await write("read", { bound_service_account_names: "a,b", bound_service_account_namespaces: "ns", audience: "vault", token_ttl: 600, token_max_ttl: "1h", token_policies: "p1,p2" });
    const res = await t().request("GET", `/v1/auth/${mount}/role/read`);
    expect(res.body.data).toMatchObject({
      bound_service_account_names: ["a", "b"],
      bound_service_account_namespaces: ["ns"],
      audience: "vault",
      token_ttl: 600,
      token_max_ttl: 3600,
      token_policies: ["p1", "p2"],
      token_type: "default-service",
      token_bound_cidrs: [],
      alias_name_source: "serviceaccount_uid",
    });
  });

  it("the deprecated aliases still work (policies, ttl) and cannot be mixed with the new names", async () => {
    await write("old", { bound_service_account_names: "a", bound_service_account_namespaces: "ns", audience: "vault", policies: "p", ttl: "10m" });
    const res = await t().request("GET", `/v1/auth/${mount}/role/old`);
    expect(res.body.data).toMatchObject({ token_policies: ["p"], policies: ["p"], token_ttl: 600, ttl: 600 });
    const mixed = await write("mixed", { bound_service_account_names: "a", bound_service_account_namespaces: "ns", policies: "p", token_policies: "q" });
    expect(mixed.status).toBe(400);
  });

  it("LIST role/ names the roles; a missing role reads as 404", async () => {
    await write("listed", { bound_service_account_names: "a", bound_service_account_namespaces: "ns", audience: "vault" });
    const list = await t().request("LIST", `/v1/auth/${mount}/role`);
    expect(list.body.data.keys).toContain("listed");
    expect((await t().request("GET", `/v1/auth/${mount}/role/absent`)).status).toBe(404);
  });
});

describeContract("framework.CalculateTTL: TTL caps at login", (t) => {
  const k = withK8s(t);

  it("token_ttl above the mount max is capped with a warning", async () => {
    const tuned = await t().request("POST", `/v1/sys/auth/${k().mount}/tune`, { body: { max_lease_ttl: "30m" } });
    expect(tuned.status).toBe(204);
    try {
      await k().role("capped", { ...ROLE, token_ttl: "1h", token_max_ttl: undefined });
      const res = await k().login("capped", await k().podToken("team-a", "airflow-worker"));
      expect(res.status).toBe(200);
      expect(res.body.auth.lease_duration).toBeLessThanOrEqual(1800);
      expect(res.body.auth.lease_duration).toBeGreaterThanOrEqual(1798);
      expect(res.body.warnings).toHaveLength(1);
      expect(res.body.warnings[0]).toMatch(ttlCapWarning("1h", ["30m", "29m5\\ds"]));
    } finally {
      await t().request("POST", `/v1/sys/auth/${k().mount}/tune`, { body: { max_lease_ttl: "system" } });
    }
  });

  it("a period above the effective max TTL is capped with the period warning", async () => {
    await k().role("pcap", { ...ROLE, token_ttl: undefined, token_period: "2h", token_max_ttl: "1h" });
    const res = await k().login("pcap", await k().podToken("team-a", "airflow-worker"));
    expect(res.status).toBe(200);
    expect(res.body.auth.lease_duration).toBe(3600);
    expect(res.body.warnings).toEqual(['period of "2h" exceeded the effective max_ttl of "1h"; period value is capped accordingly']);
  });
}, { callsBack: true });

describeContract("path_login.go pathLoginRenew: renewal of a Kubernetes token", (t) => {
  const k = withK8s(t);

  it("renew-self answers the role's token_ttl; after the role is deleted renewal fails (role … does not exist during renewal)", async () => {
    await k().role("renewable", { ...ROLE, token_ttl: "10m", token_max_ttl: "1h" });
    const login = await k().login("renewable", await k().podToken("team-a", "airflow-worker"));
    const token = login.body.auth.client_token as string;
    const renewed = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(renewed.status).toBe(200);
    expect(renewed.body.auth.lease_duration).toBe(600);
    await t().request("DELETE", `/v1/auth/${k().mount}/role/renewable`);
    const failed = await t().request("POST", "/v1/auth/token/renew-self", { token, body: {} });
    expect(failed.status).toBeGreaterThanOrEqual(400);
    expect(failed.body.errors[0]).toContain("role renewable does not exist during renewal");
  });
}, { callsBack: true });
