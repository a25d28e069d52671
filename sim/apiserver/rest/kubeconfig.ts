/** A kubeconfig for a client of the REST simulator: its URL and CA, and a bearer token. */
import { stringify } from "yaml";

export function kubeconfigYaml(options: { server: string; caPem: string; token: string; namespace?: string; name?: string }): string {
  const name = options.name ?? "avi-sim";
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name, cluster: { server: options.server, "certificate-authority-data": Buffer.from(options.caPem).toString("base64") } }],
    users: [{ name, user: { token: options.token } }],
    contexts: [{ name, context: { cluster: name, user: name, ...(options.namespace !== undefined && { namespace: options.namespace }) } }],
    "current-context": name,
  });
}
