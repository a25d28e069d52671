/**
 * Istio interplay (istio.io docs: traffic capture by istio-init/istio-cni,
 * and the native-sidecar mode). With a *classic* istio-proxy (a regular
 * container), init containers run after traffic capture is installed but before the proxy listens, so
 * the agent's calls to Vault would be refused and, because app containers wait for the agent's
 * startupProbe, the proxy would never start either. Native istio-proxy (an init container with
 * restartPolicy Always) starts before us: nothing to do.
 */
import type { Settings } from "./settings.js";
import { annotationsOf, containersOf, initContainersOf, type PodView } from "./pod.js";
import { vaultPort } from "./settings.js";
import { warning } from "./warnings.js";

export const ISTIO = {
  proxy: "istio-proxy",
  init: "istio-init",
  inject: "sidecar.istio.io/inject",
  nativeSidecar: "sidecar.istio.io/nativeSidecar",
  revisionLabel: "istio.io/rev",
  /** Namespace label of Istio's default revision (`enabled` / `disabled`). */
  namespaceInjection: "istio-injection",
  excludeOutboundPorts: "traffic.sidecar.istio.io/excludeOutboundPorts",
} as const;

export interface IstioAdjustment {
  /** Annotations to set on the pod (merged values). */
  annotations: Record<string, string>;
  /** Run the agent as this UID instead of the configured one. */
  runAsUser?: number;
  warnings: string[];
}

const NONE: IstioAdjustment = { annotations: {}, warnings: [] };

/**
 * `namespaceLabels` are the labels of the pod's namespace when the webhook could look them up (Istio's
 * own webhooks select namespaces by `istio-injection` / `istio.io/rev`); absent, only the pod is seen.
 */
export function istioAdjustment(pod: PodView, settings: Settings, namespaceLabels?: Readonly<Record<string, string>>): IstioAdjustment {
  if (!usesClassicSidecar(pod, settings.injection.istio.classicSidecar, namespaceLabels)) return NONE;
  const { strategy, proxyUID } = settings.injection.istio;
  const istioInitRendered = initContainersOf(pod).some((c) => c.name === ISTIO.init);
  if (strategy === "proxyUID" || (strategy === "auto" && istioInitRendered)) {
    // istio-iptables exempts the proxy's UID from capture, whichever webhook ran first.
    return { annotations: {}, runAsUser: proxyUID, warnings: [] };
  }
  const port = vaultPort(settings);
  const existing = annotationsOf(pod)[ISTIO.excludeOutboundPorts];
  const ports = typeof existing === "string" ? existing.split(",").map((p) => p.trim()).filter((p) => p !== "") : [];
  if (ports.includes(String(port))) return NONE;
  const warnings = port === 443 || port === 80 ? [warning(`istio: Vault port ${port} is now excluded from the mesh for every container of this pod`)] : [];
  return { annotations: { [ISTIO.excludeOutboundPorts]: [...ports, String(port)].join(",") }, warnings };
}

function usesClassicSidecar(pod: PodView, setting: "auto" | "always" | "never", namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  if (setting === "never") return false;
  const annotations = annotationsOf(pod);
  const labels = pod.metadata?.labels ?? {};
  const flag = (key: string): string | undefined => {
    const value = labels[key] ?? annotations[key];
    return typeof value === "string" ? value.trim().toLowerCase() : undefined;
  };
  if (initContainersOf(pod).some((c) => c.name === ISTIO.proxy)) return false; // native sidecar, already injected
  if (flag(ISTIO.nativeSidecar) === "true") return false;
  if (containersOf(pod).some((c) => c.name === ISTIO.proxy)) return true;
  if (flag(ISTIO.inject) === "false") return false;
  if (setting === "always") return true;
  if (namespaceLabels !== undefined) {
    // Istio's webhooks: a namespace labelled istio-injection=enabled (or istio.io/rev, when
    // istio-injection is absent) injects every pod not opted out; istio-injection=disabled injects none.
    const injection = namespaceLabels[ISTIO.namespaceInjection];
    if (injection === "disabled") return false;
    if (injection === "enabled") return true;
    if (injection === undefined && (namespaceLabels[ISTIO.revisionLabel] ?? "") !== "") return true;
  }
  return flag(ISTIO.inject) === "true" || typeof labels[ISTIO.revisionLabel] === "string";
}
