/**
 * The agent container and the volumes it needs. Everything the Pod Security "restricted" profile asks
 * for is set at container level, so the result passes whatever the pod-level context says, and the
 * pod-level context is never touched (that would change the app).
 */
import { AGENT_CONFIG_ENV, AGENT_NODE_OPTIONS, AGENT_TOKEN_DIR, ENDPOINT_TOKEN_ENV, POD_NAMESPACE_ENV, POD_NAME_ENV, POD_UID_ENV, TOKEN_FILE_NAME } from "../agent/config.js";
import type { Mode } from "./annotations.js";
import { KUBERNETES_SA_DIR, type Settings } from "./settings.js";

export const AGENT_CONTAINER = "avi-agent";
export const CREDENTIALS_VOLUME = "avi-credentials";
export const TOKEN_VOLUME = "avi-token";
/**
 * An empty read-only volume mounted over the ServiceAccount token path in the agent only: any mount at
 * that path stops the ServiceAccount admission plugin from giving the agent the pod's Kubernetes API
 * token (kubernetes `plugin/pkg/admission/serviceaccount/admission.go` mountServiceAccountToken, v1.37). The agent needs Vault's audience token, nothing else.
 */
export const NO_API_TOKEN_VOLUME = "avi-no-api-token";
export const HEALTH_PORT_NAME = "avi-health";
/** The tmpfs holds a handful of small files; this also caps what a runaway write could use. */
export const CREDENTIALS_SIZE_LIMIT = "1Mi";

export interface AgentContainerInput {
  settings: Settings;
  mode: Mode;
  /** The agent configuration as JSON text (the AVI_AGENT_CONFIG value). */
  configJson: string;
  runAsUser: number;
  maskApiToken: boolean;
  /** The pod's endpoint token (settings injection.endpointTokenEnv), for ENDPOINT_TOKEN_ENV. */
  endpointToken?: string;
}

/** A new object every time: whoever applies the patch may change what it inserted. */
export function agentContainer({ settings, mode, configJson, runAsUser, maskApiToken, endpointToken }: AgentContainerInput): Record<string, unknown> {
  const { agent } = settings;
  const { requests, limits } = agent.resources;
  const fieldEnv = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { apiVersion: "v1", fieldPath } } });
  const container: Record<string, unknown> = {
    name: AGENT_CONTAINER,
    image: agent.image,
    ...(agent.imagePullPolicy !== undefined && { imagePullPolicy: agent.imagePullPolicy }),
    args: ["agent"],
    env: [
      { name: AGENT_CONFIG_ENV, value: configJson },
      fieldEnv(POD_NAME_ENV, "metadata.name"),
      fieldEnv(POD_NAMESPACE_ENV, "metadata.namespace"),
      fieldEnv(POD_UID_ENV, "metadata.uid"),
      { name: "NODE_OPTIONS", value: AGENT_NODE_OPTIONS },
      ...(endpointToken !== undefined ? [{ name: ENDPOINT_TOKEN_ENV, value: endpointToken }] : []),
    ],
    ports: [{ name: HEALTH_PORT_NAME, containerPort: agent.healthPort, protocol: "TCP" }],
    resources: { requests: { ...requests }, limits: { ...limits } },
    securityContext: {
      runAsNonRoot: true,
      runAsUser,
      runAsGroup: agent.runAsGroup,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    },
    volumeMounts: [
      { name: CREDENTIALS_VOLUME, mountPath: agent.mountPath },
      { name: TOKEN_VOLUME, mountPath: AGENT_TOKEN_DIR, readOnly: true },
      ...(maskApiToken ? [{ name: NO_API_TOKEN_VOLUME, mountPath: KUBERNETES_SA_DIR, readOnly: true }] : []),
    ],
    terminationMessagePolicy: "FallbackToLogsOnError",
  };
  if (mode === "sidecar") {
    // A native sidecar: started before the app containers, which wait until the startupProbe passes,
    // i.e. until every credential has been written once. No `host`: the kubelet probes the pod IP.
    container["restartPolicy"] = "Always";
    container["startupProbe"] = {
      httpGet: { path: "/ready", port: agent.healthPort },
      periodSeconds: 1,
      timeoutSeconds: 1,
      failureThreshold: 300,
    };
    container["livenessProbe"] = {
      httpGet: { path: "/healthz", port: agent.healthPort },
      periodSeconds: 10,
      timeoutSeconds: 2,
      failureThreshold: 3,
    };
  }
  return container;
}

export function agentVolumes(settings: Settings, maskApiToken: boolean): Record<string, unknown>[] {
  return [
    { name: CREDENTIALS_VOLUME, emptyDir: { medium: "Memory", sizeLimit: CREDENTIALS_SIZE_LIMIT } },
    {
      name: TOKEN_VOLUME,
      projected: {
        sources: [
          {
            serviceAccountToken: {
              audience: settings.vault.audience,
              expirationSeconds: settings.agent.tokenExpirationSeconds,
              path: TOKEN_FILE_NAME,
            },
          },
        ],
      },
    },
    ...(maskApiToken ? [{ name: NO_API_TOKEN_VOLUME, emptyDir: { medium: "Memory", sizeLimit: "1Ki" } }] : []),
  ];
}

/** Names this injector adds to a pod; a pod that already has one of them cannot be injected again. */
export const INJECTED_VOLUMES = [CREDENTIALS_VOLUME, TOKEN_VOLUME, NO_API_TOKEN_VOLUME] as const;
