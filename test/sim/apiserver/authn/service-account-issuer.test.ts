// The service-account token issuer: projected and legacy token claim shapes as kube-apiserver mints them.
import { createHash } from "node:crypto";
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from "jose";
import { describe, expect, it } from "vitest";
import { createServiceAccountIssuer, LEGACY_ISSUER } from "../../../../sim/apiserver/authn/index.js";

const NOW = Date.parse("2025-05-01T10:00:00Z");
const clock = { now: () => NOW };

describe("projected tokens", () => {
  it("carry iss, sub, aud, iat = nbf, exp = iat + expirationSeconds, jti and kubernetes.io {namespace, pod, serviceaccount}", async () => {
    const issuer = await createServiceAccountIssuer({ clock });
    const jwt = await issuer.issue({ namespace: "airflow", serviceAccount: "airflow-worker", podName: "etl-abc", podUid: "11111111-2222-3333-4444-555555555555", audiences: ["vault"], expirationSeconds: 3600 });
    const claims = decodeJwt(jwt);
    const sa = issuer.cluster.serviceAccount("airflow", "airflow-worker")!;
    expect(claims).toEqual({
      iss: "https://kubernetes.default.svc.cluster.local",
      sub: "system:serviceaccount:airflow:airflow-worker",
      aud: ["vault"],
      iat: NOW / 1000,
      nbf: NOW / 1000,
      exp: NOW / 1000 + 3600,
      jti: expect.stringMatching(/^[0-9a-f-]{36}$/),
      "kubernetes.io": {
        namespace: "airflow",
        pod: { name: "etl-abc", uid: "11111111-2222-3333-4444-555555555555" },
        serviceaccount: { name: "airflow-worker", uid: sa.uid },
      },
    });
  });

  it("are RS256 with a kid derived from the public key (SHA-256 of the SPKI DER, base64url), and verify against publicKeyPem", async () => {
    const issuer = await createServiceAccountIssuer({ clock });
    const jwt = await issuer.issue({ namespace: "ns", serviceAccount: "sa" });
    const der = Buffer.from(issuer.publicKeyPem.replace(/-----[^-]+-----|\s/g, ""), "base64");
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: "RS256", kid: createHash("sha256").update(der).digest("base64url") });
    await expect(jwtVerify(jwt, await importSPKI(issuer.publicKeyPem, "RS256"), { currentDate: new Date(NOW) })).resolves.toBeDefined();
    expect(issuer.jwks().keys[0]).toMatchObject({ kty: "RSA", alg: "RS256", use: "sig", kid: issuer.keyId });
  });

  it("default to the API audiences and one hour; the issuer and ES256 are configurable", async () => {
    const issuer = await createServiceAccountIssuer({ clock, issuer: "https://oidc.example/cluster", algorithm: "ES256" });
    const claims = decodeJwt(await issuer.issue({ namespace: "ns", serviceAccount: "sa" }));
    expect(claims).toMatchObject({ iss: "https://oidc.example/cluster", aud: ["https://oidc.example/cluster"], exp: NOW / 1000 + 3600 });
  });

  it("refuse expirationSeconds below 10 minutes, as TokenRequest does", async () => {
    const issuer = await createServiceAccountIssuer({ clock });
    await expect(issuer.issue({ namespace: "ns", serviceAccount: "sa", expirationSeconds: 60 })).rejects.toThrow(
      "spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes",
    );
  });

  it("bind to the registered pod and refuse a conflicting pod UID", async () => {
    const issuer = await createServiceAccountIssuer({ clock });
    await issuer.issue({ namespace: "ns", serviceAccount: "sa", podName: "p", podUid: "uid-1" });
    await expect(issuer.issue({ namespace: "ns", serviceAccount: "sa", podName: "p", podUid: "uid-2" })).rejects.toThrow(/does not match the record/);
  });

  it("honour a `now` override (tokens issued in the past or future, for expiry tests)", async () => {
    const issuer = await createServiceAccountIssuer({ clock });
    const claims = decodeJwt(await issuer.issue({ namespace: "ns", serviceAccount: "sa", now: NOW - 7_200_000 }));
    expect(claims.exp).toBe((NOW - 7_200_000) / 1000 + 3600);
  });
});

describe("legacy secret-based tokens", () => {
  it("carry the kubernetes.io/serviceaccount/* claims, iss kubernetes/serviceaccount, no exp/aud, and register their Secret", async () => {
    const issuer = await createServiceAccountIssuer({ clock });
    const jwt = await issuer.issueLegacy({ namespace: "vault", serviceAccount: "vault-auth" });
    const claims = decodeJwt(jwt);
    const secretName = claims["kubernetes.io/serviceaccount/secret.name"] as string;
    expect(secretName).toMatch(/^vault-auth-token-[a-z0-9]{5}$/);
    expect(claims).toEqual({
      iss: LEGACY_ISSUER,
      sub: "system:serviceaccount:vault:vault-auth",
      "kubernetes.io/serviceaccount/namespace": "vault",
      "kubernetes.io/serviceaccount/secret.name": secretName,
      "kubernetes.io/serviceaccount/service-account.name": "vault-auth",
      "kubernetes.io/serviceaccount/service-account.uid": issuer.cluster.serviceAccount("vault", "vault-auth")!.uid,
    });
    expect(issuer.cluster.tokenSecret("vault", secretName)?.token).toBe(jwt);
  });
});
