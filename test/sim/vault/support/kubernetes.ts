/**
 * Kubernetes auth for contract tests: `startKubernetesAuthStack` at a unique mount (disabled again by
 * the target's cleanup), plus small helpers for roles, logins and pod tokens.
 */
import type { ServiceAccountIssuer, TokenReviewServer } from "../../../../sim/apiserver/authn/index.js";
import { startKubernetesAuthStack } from "../../../../sim/vault/index.js";
import type { VaultTarget } from "./target.js";

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
  const mount = t.unique("kubernetes");
  const stack = await startKubernetesAuthStack({ vault: { address: t.address, rootToken: t.rootToken, clock: t.sim?.clock }, mount, config });
  t.track("auth", mount);
  let pods = 0;
  return {
    ...stack,
    role: (name, fields) => t.request("POST", `/v1/auth/${mount}/role/${name}`, { body: fields }),
    login: (role, jwt) => t.request("POST", `/v1/auth/${mount}/login`, { token: null, body: { role, jwt } }),
    podToken: (namespace, serviceAccount, extra = {}) =>
      stack.issuer.issue({ namespace, serviceAccount, podName: `${serviceAccount}-pod-${++pods}`, audiences: ["vault"], ...extra }),
  };
}
