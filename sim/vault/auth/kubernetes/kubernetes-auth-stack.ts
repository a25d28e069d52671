/**
 * One call to get Kubernetes auth working against a Vault (the simulator, or a real Vault that can reach
 * this machine's loopback): a service-account issuer sharing the Vault's clock, a TokenReview server
 * (HTTPS, own CA) that trusts a reviewer service account, and `auth/<mount>` enabled and configured
 * through Vault's own API. Agent tests, e2e tests and the demo mint pod tokens with `issuer.issue()`.
 */
import { createServiceAccountIssuer, startTokenReviewServer, type NowSource, type ServiceAccountIssuer, type TokenReviewServer } from "../../../apiserver/authn/index.js";

export interface KubernetesAuthStackOptions {
  /** The Vault to configure; a `VaultSim` fits (its clock is then shared with the issuer). */
  readonly vault: { readonly address: string; readonly rootToken: string; readonly clock?: NowSource };
  /** Auth mount path (default `kubernetes`). */
  readonly mount?: string;
  /** The reviewer service account bound to `system:auth-delegator` (default `vault/vault-auth`). */
  readonly reviewer?: { readonly namespace: string; readonly serviceAccount: string };
  /** Extra `auth/<mount>/config` fields (e.g. `pem_keys`). */
  readonly config?: Readonly<Record<string, unknown>>;
}

export interface KubernetesAuthStack {
  readonly mount: string;
  readonly issuer: ServiceAccountIssuer;
  readonly tokenReview: TokenReviewServer;
  /** Legacy token of the reviewer service account (Vault's `token_reviewer_jwt`). */
  readonly reviewerJwt: string;
  /** Stop the TokenReview server (the auth mount stays configured). */
  stop(): Promise<void>;
}

async function vaultCall(vault: KubernetesAuthStackOptions["vault"], path: string, body: unknown): Promise<void> {
  const res = await fetch(`${vault.address}/v1/${path}`, {
    method: "POST",
    headers: { "X-Vault-Token": vault.rootToken, "X-Vault-Request": "true", "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (res.status !== 200 && res.status !== 204) throw new Error(`POST /v1/${path}: ${res.status} ${await res.text()}`);
}

/** Start the issuer and TokenReview server and configure `auth/<mount>`; see {@link KubernetesAuthStackOptions}. */
export async function startKubernetesAuthStack(options: KubernetesAuthStackOptions): Promise<KubernetesAuthStack> {
  const mount = options.mount ?? "kubernetes";
  const reviewer = options.reviewer ?? { namespace: "vault", serviceAccount: "vault-auth" };
  const issuer = await createServiceAccountIssuer({ clock: options.vault.clock });
  const tokenReview = await startTokenReviewServer({ issuer, authDelegators: [`${reviewer.namespace}/${reviewer.serviceAccount}`] });
  try {
    const reviewerJwt = await issuer.issueLegacy(reviewer);
    await vaultCall(options.vault, `sys/auth/${mount}`, { type: "kubernetes" });
    await vaultCall(options.vault, `auth/${mount}/config`, {
      kubernetes_host: tokenReview.url,
      kubernetes_ca_cert: tokenReview.caPem,
      token_reviewer_jwt: reviewerJwt,
      ...options.config,
    });
    return { mount, issuer, tokenReview, reviewerJwt, stop: () => tokenReview.stop() };
  } catch (err) {
    await tokenReview.stop();
    throw err;
  }
}
