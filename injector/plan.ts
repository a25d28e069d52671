/**
 * Annotations + settings + the pod → an injection plan: what to add, with every decision made and
 * validated. Throws a Denial (400/403) when the pod asks for something wrong or forbidden.
 */
import type { AgentConfigInput, AuditContext, CredentialSpec } from "../agent/config.js";
import { buildAgentConfig } from "./agent-config.js";
import { CREDENTIALS_VOLUME, TOKEN_VOLUME } from "./agent-container.js";
import { ANNOTATION, shown, type InjectionAnnotations, type Mode } from "./annotations.js";
import { airflowMajor, appEnv, type EnvVar } from "./app-env.js";
import { resolveCredentials } from "./credentials.js";
import { invalid } from "./denial.js";
import { credentialFileMode } from "./file-mode.js";
import { istioAdjustment } from "./istio.js";
import { annotationsOf, containersOf, initContainersOf, serviceAccountOf, type ContainerView, type PodView } from "./pod.js";
import type { Settings } from "./settings.js";
import { didYouMean } from "./suggest.js";

export interface TargetContainer {
  /** Index in `spec.containers` of the original object. */
  index: number;
  name: string;
  env: EnvVar[];
  mount: { name: string; mountPath: string; readOnly: true };
}

/** What the agent container differs in from pod to pod, besides its configuration. */
export interface AgentPlan {
  runAsUser: number;
  /** Mount an empty volume over the Kubernetes API token path in the agent. */
  maskApiToken: boolean;
  /** The pod's endpoint token (settings injection.endpointTokenEnv, sidecar mode). */
  endpointToken?: string;
}

/** Every decision of an injection, as plain data; patch.ts turns it into the JSONPatch. */
export interface InjectionPlan {
  mode: Mode;
  namespace: string;
  serviceAccount: string;
  credentials: CredentialSpec[];
  defaultCredential: string;
  fileMode: number;
  agentConfig: AgentConfigInput;
  agent: AgentPlan;
  targets: TargetContainer[];
  /** Pod annotations to set (the status annotation, Istio port exclusions). */
  annotations: Record<string, string>;
  warnings: string[];
}

/**
 * Containers that never get credentials by default: other injectors' proxies and KubernetesPodOperator's
 * XCom sidecar (it only runs `cat` on the return value). Naming them in `containers` still selects them.
 */
export const NOT_SELECTED_BY_DEFAULT = new Set(["istio-proxy", "linkerd-proxy", "airflow-xcom-sidecar"]);

/** Airflow's own pod annotations, copied into the agent's audit context (apache/airflow cncf.kubernetes provider
 * `pod_generator.py` construct_pod). */
const AIRFLOW_CONTEXT = { dagId: "dag_id", taskId: "task_id", runId: "run_id", tryNumber: "try_number", mapIndex: "map_index" } as const;

export function planInjection(
  pod: PodView,
  annotations: InjectionAnnotations,
  namespace: string,
  settings: Settings,
  status: Record<string, string>,
  namespaceLabels?: Readonly<Record<string, string>>,
  endpointToken?: string,
): InjectionPlan {
  const serviceAccount = serviceAccountOf(pod);
  const mode = annotations.mode ?? settings.injection.defaultMode;
  checkPodCanRunAgent(pod, mode);
  const targets = selectTargets(pod, annotations.containers, settings.agent.mountPath);
  const { credentials, defaultCredential } = resolveCredentials(annotations, settings, { namespace, serviceAccount });
  const defaultSpec = credentials.find((c) => c.name === defaultCredential) as CredentialSpec;
  const warnings: string[] = [...processSharingWarnings(pod)];

  const istio = istioAdjustment(pod, settings, namespaceLabels);
  warnings.push(...istio.warnings);
  const runAsUser = istio.runAsUser ?? settings.agent.runAsUser;
  const fileMode = credentialFileMode(pod, targets.map((t) => t.container), runAsUser);
  // automountServiceAccountToken may also be off on the ServiceAccount, which the webhook cannot see;
  // the mask is then merely redundant.
  const maskApiToken = pod.spec.automountServiceAccountToken !== false;
  // Init mode has no endpoint, hence no token.
  const inlineToken = settings.injection.endpointTokenEnv && mode === "sidecar" ? requireToken(endpointToken) : undefined;

  const agentConfig = buildAgentConfig(settings, {
    mode,
    role: annotations.role ?? settings.vault.role,
    fileMode,
    credentials,
    defaultCredential,
    revokeOnExit: annotations.revokeOnExit,
    context: auditContext(pod, namespace, serviceAccount),
  });

  if (annotations.airflowConnections && !credentials.some((c) => c.airflowConnId !== undefined)) {
    warnings.push(`${ANNOTATION.airflowConnections}: no credential has an Airflow conn id; the connections file stays empty`);
  }

  const mountPath = settings.agent.mountPath;
  const planned = targets.map(({ index, container }) => {
    const result = appEnv(container, {
      mode,
      mountPath,
      endpointPort: settings.agent.endpointPort,
      defaultCredential: defaultSpec,
      airflowConnections: annotations.airflowConnections,
      airflowMajor: airflowMajor(pod, container),
      ...(inlineToken !== undefined && { endpointToken: inlineToken }),
    });
    warnings.push(...result.warnings);
    return { index, name: container.name, env: result.env, mount: { name: CREDENTIALS_VOLUME, mountPath, readOnly: true as const } };
  });

  return {
    mode,
    namespace,
    serviceAccount,
    credentials,
    defaultCredential,
    fileMode,
    agentConfig,
    agent: { runAsUser, maskApiToken, ...(inlineToken !== undefined && { endpointToken: inlineToken }) },
    targets: planned,
    annotations: { ...istio.annotations, ...status },
    warnings,
  };
}

/** The caller's job (the webhook, `avi inject`): the injector has no randomness of its own. */
function requireToken(token: string | undefined): string {
  if (token === undefined || token === "") {
    throw new Error("settings injection.endpointTokenEnv is on, but no endpoint token was supplied to the injector (a bug in the caller)");
  }
  return token;
}

/** Pod shapes the agent cannot work in, refused up front rather than failing at run time. */
function checkPodCanRunAgent(pod: PodView, mode: Mode): void {
  const count = containersOf(pod).length + initContainersOf(pod).length;
  if (count > MAX_CONTAINERS) {
    throw invalid(`the pod has ${count} containers and init containers; avi injects pods with at most ${MAX_CONTAINERS}`);
  }
  checkOwnMounts(pod);
  // Names the API server would accept: they appear in messages and the agent's audit context.
  if (serviceAccountOf(pod).length > 253) throw invalid("spec.serviceAccountName is longer than 253 characters, which no Kubernetes name is");
  if (pod.spec.os?.name === "windows") {
    throw invalid(`${ANNOTATION.inject}: Windows pods are not supported (the agent image is Linux); remove the annotation`);
  }
  if (pod.spec.hostNetwork === true && mode === "sidecar") {
    // On the node's network the loopback endpoint and health port are shared by every host-network
    // pod on the node: ports would clash and other pods could reach the endpoint.
    throw invalid(
      `${ANNOTATION.mode}: sidecar mode needs the pod's own network, but the pod sets hostNetwork: true; use ${ANNOTATION.mode}: "init" or drop hostNetwork`,
    );
  }
}

/**
 * The injected volumes are the agent's: the Vault-audience token must reach no other container, and
 * the credentials volume only read-only (the webhook adds that mount itself to selected containers).
 */
function checkOwnMounts(pod: PodView): void {
  for (const container of [...initContainersOf(pod), ...containersOf(pod)]) {
    for (const mount of container.volumeMounts ?? []) {
      if (mount.name === TOKEN_VOLUME) {
        throw invalid(`container ${shown(container.name)} mounts volume "${TOKEN_VOLUME}", the agent's Vault login token; only the agent may mount it — remove that mount`);
      }
      if (mount.name === CREDENTIALS_VOLUME && mount.readOnly !== true) {
        throw invalid(`container ${shown(container.name)} mounts volume "${CREDENTIALS_VOLUME}" read-write; only the agent writes credentials — set readOnly: true or remove the mount`);
      }
    }
  }
}

/** Other processes that can read the agent's memory or files (the Vault token, the credentials). */
function processSharingWarnings(pod: PodView): string[] {
  const shared = [
    pod.spec.hostPID === true ? "hostPID" : undefined,
    pod.spec.shareProcessNamespace === true ? "shareProcessNamespace" : undefined,
    [...initContainersOf(pod), ...containersOf(pod)].some((c) => c.securityContext?.privileged === true) ? "a privileged container" : undefined,
  ].filter((s) => s !== undefined);
  return shared.length === 0 ? [] : [`the pod has ${shared.join(", ")}: other processes can read the agent's credentials and token`];
}

/** A pod needs a handful; the bound keeps the per-review work small for any request body. */
export const MAX_CONTAINERS = 64;
/** Names listed in a denial message. */
const MAX_NAMES_SHOWN = 10;

function selectTargets(pod: PodView, requested: readonly string[] | undefined, mountPath: string): { index: number; container: ContainerView }[] {
  const all = containersOf(pod).map((container, index) => ({ index, container }));
  if (all.length === 0) throw invalid("the pod has no containers to give credentials to");
  const byName = new Map(all.map((t) => [t.container.name, t]));
  const chosen =
    requested === undefined
      ? all.filter((t) => !NOT_SELECTED_BY_DEFAULT.has(t.container.name))
      : requested.map((name) => {
          const hit = byName.get(name);
          if (hit !== undefined) return hit;
          const init = initContainersOf(pod).some((c) => c.name === name);
          const names = [...byName.keys()];
          const listed = names.slice(0, MAX_NAMES_SHOWN).map((n) => (n.length <= 63 ? n : shown(n, 63))).join(", ") + (names.length > MAX_NAMES_SHOWN ? ", …" : "");
          throw invalid(
            init
              ? `${ANNOTATION.containers}: "${name}" is an init container; init containers run before the agent and cannot get credentials`
              : `${ANNOTATION.containers}: the pod has no container "${name}"${didYouMean(name, names)}; containers: ${listed}`,
          );
        });
  if (chosen.length === 0) throw invalid(`${ANNOTATION.containers}: no container selected; name the containers that need credentials`);
  for (const { container } of chosen) {
    // Two mounts at one path make the API server reject the pod (422); "/x/" and "/x" are one path.
    const clash = (container.volumeMounts ?? []).find((m) => m.mountPath === mountPath || ((m.mountPath.endsWith("/") || m.mountPath.includes("//")) && normalisedMountPath(m.mountPath) === mountPath));
    if (clash !== undefined) {
      throw invalid(`container ${shown(container.name)} already mounts volume ${shown(clash.name)} at ${mountPath}, where avi mounts credentials; move that mount`);
    }
  }
  return chosen;
}

/** "/a//b/" → "/a/b", linear in the length (a regex with `\/+$` backtracks quadratically). */
function normalisedMountPath(path: string): string {
  if (!path.startsWith("/")) return path;
  if (path.length > 4096) return path; // longer than PATH_MAX: no mount can be there
  return `/${path.split("/").filter((s) => s !== "").join("/")}`;
}

function auditContext(pod: PodView, namespace: string, serviceAccount: string): AuditContext {
  const annotations = annotationsOf(pod);
  const context: AuditContext = { namespace, serviceAccount };
  for (const [field, key] of Object.entries(AIRFLOW_CONTEXT)) {
    const value = annotations[key];
    // Airflow's ids are at most 250 characters (ID_LEN); a longer value did not come from Airflow.
    if (typeof value === "string" && value !== "" && value.length <= 250) context[field as keyof typeof AIRFLOW_CONTEXT] = value;
  }
  return context;
}
