/**
 * Kubernetes auth for contract tests: a service-account issuer and a TokenReview server (HTTPS, own CA)
 * on loopback, and an auth mount configured against them — on the simulator or on a real Vault that can
 * reach this machine's loopback.
 */
import { createServiceAccountIssuer, startTokenReviewServer, type ServiceAccountIssuer, type TokenReviewServer } from "../../../../sim/apiserver/authn/index.js";
import type { VaultTarget } from "./target.js";

export const REVIEWER = { namespace: "vault", serviceAccount: "vault-auth" };

export interface KubernetesAuth {
  readonly mount: string;
  readonly issuer: ServiceAccountIssuer;
  readonly tokenReview: TokenReviewServer;
  readonly reviewerJwt: string;
  /** Write a role; returns the response. */
  role(name: string, fields: Record<string, unknown>): ReturnType<VaultTarget["request"]>;
  login(role: string, jwt: string): ReturnType<VaultTarget["request"]>;
  /** A projected pod token for `namespace/serviceAccount` (audience `vault` by default). */
  podToken(namespace: string, serviceAccount: string, extra?: Partial<Parameters<ServiceAccountIssuer["issue"]>[0]>): Promise<string>;
  stop(): Promise<void>;
}

export async function setUpKubernetesAuth(t: VaultTarget, config: Record<string, unknown> = {}): Promise<KubernetesAuth> {
  const clock = t.sim?.clock ?? { now: () => Date.now() };
  const issuer = await createServiceAccountIssuer({ clock });
  const tokenReview = await startTokenReviewServer({ issuer, authDelegators: [`${REVIEWER.namespace}/${REVIEWER.serviceAccount}`] });
  const reviewerJwt = await issuer.issueLegacy(REVIEWER);
  const mount = await t.mount("auth", "kubernetes");
  const res = await t.request("POST", `/v1/auth/${mount}/config`, {
    body: { kubernetes_host: tokenReview.url, kubernetes_ca_cert: tokenReview.caPem, token_reviewer_jwt: reviewerJwt, ...config },
  });
  if (res.status !== 204) throw new Error(`configuring auth/${mount}: ${res.status} ${res.text}`);
  return {
    mount,
    issuer,
    tokenReview,
    reviewerJwt,
    role: (name, fields) => t.request("POST", `/v1/auth/${mount}/role/${name}`, { body: fields }),
    login: (role, jwt) => t.request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role, jwt } }),
    podToken: (namespace, serviceAccount, extra = {}) =>
      issuer.issue({ namespace, serviceAccount, podName: `${serviceAccount}-pod-${Math.random().toString(36).slice(2, 8)}`, audiences: ["vault"], ...extra }),
    stop: () => tokenReview.stop(),
  };
}
