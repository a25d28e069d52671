/**
 * The agent configuration (agent/config.ts, the contract with the agent) for one pod. Every per-pod
 * input is validated with the agent's own schemas when it is read (credential specs from profiles and
 * ad-hoc annotations, names, mode), and the settings are checked against the whole agent schema when
 * they are loaded (checkAgentConfigCompatible), so the hot path does not re-validate the result; the
 * tests validate every configuration they produce with parseAgentConfig.
 */
import { AgentConfigError, DEFAULT_TOKEN_FILE, parseAgentConfig, type AgentConfigInput, type AuditContext, type CredentialSpec } from "../agent/config.js";
import type { Mode } from "./annotations.js";
import type { Settings } from "./settings.js";

export interface ConfigParts {
  mode: Mode;
  role: string;
  fileMode: number;
  credentials: CredentialSpec[];
  defaultCredential: string;
  revokeOnExit: boolean;
  context: AuditContext;
}

export function buildAgentConfig(settings: Settings, parts: ConfigParts): AgentConfigInput {
  const { vault, agent } = settings;
  return {
    version: 1,
    mode: parts.mode,
    vault: {
      address: vault.address,
      ...(vault.namespace !== undefined && { namespace: vault.namespace }),
      ...(vault.caCert !== undefined && { caCert: vault.caCert }),
      ...(vault.tlsServerName !== undefined && { tlsServerName: vault.tlsServerName }),
      authMount: vault.authMount,
      role: parts.role,
      tokenFile: DEFAULT_TOKEN_FILE,
      ...(vault.timeout !== undefined && { timeout: vault.timeout }),
      ...(vault.maxRetries !== undefined && { maxRetries: vault.maxRetries }),
    },
    outputDir: agent.mountPath,
    fileMode: parts.fileMode,
    endpoint: { port: agent.endpointPort },
    health: { host: agent.healthHost, port: agent.healthPort },
    credentials: parts.credentials,
    defaultCredential: parts.defaultCredential,
    revokeOnExit: parts.revokeOnExit,
    shutdownGrace: agent.shutdownGrace,
    logLevel: agent.logLevel,
    context: parts.context,
  };
}

/**
 * Builds the configuration every profile would produce and runs it through the agent's schema, so
 * settings the agent would refuse are rejected when they are loaded, not pod by pod.
 */
export function checkAgentConfigCompatible(settings: Settings): string | undefined {
  const profiles = Object.entries(settings.profiles).map(([name, p]) => {
    const { allowedNamespaces: _ns, allowedServiceAccounts: _sa, ...spec } = p;
    return { name, ...spec };
  });
  const credentials: CredentialSpec[] = profiles.length > 0 ? profiles : [{ name: "probe", path: "secret/data/probe", format: "kv" }];
  try {
    parseAgentConfig(
      buildAgentConfig(settings, {
        mode: settings.injection.defaultMode,
        role: settings.vault.role,
        fileMode: 0o440,
        credentials,
        defaultCredential: credentials[0]?.name ?? "",
        revokeOnExit: true,
        context: { namespace: "default", serviceAccount: "default" },
      }),
    );
    return undefined;
  } catch (err) {
    if (err instanceof AgentConfigError) return err.message.replace(/\n\s*/g, "; ");
    throw err;
  }
}
