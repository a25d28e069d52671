/** What a log line suggests an operator check after a failure, by failure kind. */
import type { Failure } from "./types.js";

/** Failures that say nothing about the request itself: retrying later may succeed. */
export function isTransient(kind: Failure["kind"]): boolean {
  return kind === "sealed" || kind === "standby" || kind === "rate-limited" || kind === "server" || kind === "timeout" || kind === "transport";
}

export function loginHint({ kind, message }: Failure): string {
  if (/\((exp|nbf|iat)\) claim/.test(message)) {
    return "the projected service-account token is expired or not yet valid: check that the kubelet refreshes it and that node and Vault clocks agree";
  }
  if (message.includes("(aud) claim")) return "the token's audience does not match the Vault role's audience (settings: vault.audience)";
  switch (kind) {
    case "permission-denied":
      return "check the Kubernetes auth role (bound service account names/namespaces, audience) and that Vault can reach the TokenReview API; retrying";
    case "bad-request":
      return "check vault.role and vault.authMount (the airflow-vault.io/role annotation or the chart's vault.role)";
    case "tls":
      return "the Vault certificate is not trusted: check vault.caCert and vault.tlsServerName";
    case "transport":
    case "timeout":
      return "is vault.address reachable from the pod (NetworkPolicy, service mesh egress)?";
    case "sealed":
    case "standby":
      return "Vault is sealed or has no active node";
    case "jwt":
      return "the projected service-account token cannot be read: check the avi-token volume and vault.tokenFile";
    default:
      return "";
  }
}

export function fetchHint(kind: Failure["kind"]): string {
  switch (kind) {
    case "permission-denied":
      return "the token's policies do not allow reading this path";
    case "not-found":
      return "no secret or role at this path (check the profile's path)";
    case "bad-request":
      return "Vault rejected the request (check the role behind the path and its TTL settings)";
    case "format":
      return "the response does not look like this credential's format (check format / fields)";
    default:
      return "";
  }
}
