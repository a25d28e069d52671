/**
 * Environment for the selected app containers (docs/injection.md). A variable is added only where the
 * container does not already set it: the pod author's env always wins. Env that would shadow or
 * misdirect ours (static keys, web identity, another credentials URI) produces a warning instead.
 */
import { OUTPUT_FILES, credentialEndpointPath, type CredentialSpec } from "../agent/config.js";
import type { Mode } from "./annotations.js";
import { envNames, type ContainerView, type PodView } from "./pod.js";
import { warning } from "./warnings.js";

export interface EnvVar {
  name: string;
  value: string;
}

export interface AppEnvContext {
  mode: Mode;
  mountPath: string;
  endpointPort: number;
  defaultCredential: CredentialSpec;
  airflowConnections: boolean;
  airflowMajor: 2 | 3 | undefined;
  /** The pod's endpoint token, to set inline (settings injection.endpointTokenEnv); absent: the file only. */
  endpointToken?: string;
}

export const LOCAL_FILESYSTEM_BACKEND = "airflow.secrets.local_filesystem.LocalFilesystemBackend";
/** Airflow 2 reads `[secrets] backend`; Airflow 3 workers read `[workers] secrets_backend` first
 * (task-sdk ensure_secrets_backend_loaded, Airflow 3.x). */
const BACKEND_ENV = { 2: "AIRFLOW__SECRETS__BACKEND", 3: "AIRFLOW__WORKERS__SECRETS_BACKEND" } as const;
const BACKEND_CONFIGURED = [2, 3].flatMap((v) => ["", "_CMD", "_SECRET"].map((s) => `${BACKEND_ENV[v as 2 | 3]}${s}`));

const REGION_ENV = ["AWS_REGION", "AWS_DEFAULT_REGION"] as const;

/** Variables that take precedence over the container-credentials endpoint in botocore's default chain. */
const SHADOWING = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"];

export function appEnv(container: ContainerView, ctx: AppEnvContext): { env: EnvVar[]; warnings: string[] } {
  const present = envNames(container);
  const env: EnvVar[] = [];
  const warnings: string[] = [];
  const add = (name: string, value: string): void => {
    if (!present.has(name)) env.push({ name, value });
  };
  const who = `container "${container.name}"`;

  for (const name of SHADOWING) {
    if (present.has(name)) warnings.push(warning(`${who} sets ${name}, which wins over avi's credentials in the AWS SDK default chain`));
  }

  if (ctx.mode === "sidecar") {
    if (present.has("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
      // Never hand our endpoint token to somebody else's endpoint.
      warnings.push(warning(`${who} sets AWS_CONTAINER_CREDENTIALS_FULL_URI; avi leaves it and the endpoint token unset`));
    } else {
      add("AWS_CONTAINER_CREDENTIALS_FULL_URI", `http://127.0.0.1:${ctx.endpointPort}${credentialEndpointPath(ctx.defaultCredential.name)}`);
      add("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", `${ctx.mountPath}/${OUTPUT_FILES.endpointToken}`);
      // For SDKs that ignore the file (botocore < 1.32); newer ones read the file first.
      if (ctx.endpointToken !== undefined) add("AWS_CONTAINER_AUTHORIZATION_TOKEN", ctx.endpointToken);
    }
  }

  if (present.has("AWS_PROFILE")) {
    warnings.push(warning(`${who} sets AWS_PROFILE; avi does not set AWS_CONFIG_FILE (the profile would vanish)`));
  } else {
    add("AWS_CONFIG_FILE", `${ctx.mountPath}/${OUTPUT_FILES.awsConfig}`);
    // Init mode has no endpoint: the default chain reads the credential_process profile instead.
    if (ctx.mode === "init" && !present.has("AWS_CONFIG_FILE")) add("AWS_PROFILE", ctx.defaultCredential.name);
  }
  if (ctx.defaultCredential.endpoint !== undefined) add("AWS_ENDPOINT_URL_S3", ctx.defaultCredential.endpoint);
  // AWS_REGION for current SDKs, AWS_DEFAULT_REGION for older botocore (Debian bookworm's 1.29) and aws-cli v1, which
  // read only that one; a region the pod author set in either stays the only one (no SDK then sees ours).
  if (ctx.defaultCredential.region !== undefined && !REGION_ENV.some((name) => present.has(name))) {
    for (const name of REGION_ENV) add(name, ctx.defaultCredential.region);
  }

  if (ctx.airflowConnections) {
    const configured = BACKEND_CONFIGURED.filter((name) => present.has(name));
    if (configured.length > 0) {
      warnings.push(warning(`${who} already sets ${configured[0] ?? ""}; avi does not point Airflow at its connections file`));
    } else {
      const kwargs = JSON.stringify({ connections_file_path: `${ctx.mountPath}/${OUTPUT_FILES.airflowConnections}` });
      const versions = ctx.airflowMajor === undefined ? ([2, 3] as const) : [ctx.airflowMajor];
      for (const v of versions) {
        add(BACKEND_ENV[v], LOCAL_FILESYSTEM_BACKEND);
        add(`${BACKEND_ENV[v]}_KWARGS`, kwargs);
      }
    }
  }
  return { env, warnings };
}

/**
 * Airflow's major version: the `airflow_version` label Airflow puts on KubernetesExecutor and
 * KubernetesPodOperator pods, else the tag of an `…/airflow` image; undefined when neither tells.
 */
export function airflowMajor(pod: PodView, container: ContainerView): 2 | 3 | undefined {
  const label = pod.metadata?.labels?.["airflow_version"];
  const fromLabel = typeof label === "string" ? /^v?(\d+)\./.exec(label)?.[1] : undefined;
  const fromImage = /(?:^|\/)airflow:v?(\d+)\./.exec(container.image ?? "")?.[1];
  const major = Number(fromLabel ?? fromImage);
  return major === 2 ? 2 : major >= 3 ? 3 : undefined;
}
