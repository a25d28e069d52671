/**
 * settings injection.endpointTokenEnv: a per-pod endpoint token, set inline on the app containers
 * (AWS_CONTAINER_AUTHORIZATION_TOKEN, for botocore < 1.32) and on the agent (AVI_ENDPOINT_TOKEN), never
 * inside AVI_AGENT_CONFIG; off by default. Then the webhook: a fresh token per review, none when off.
 */
import { describe, expect, it } from "vitest";
import { AGENT_CONFIG_ENV, ENDPOINT_TOKEN_ENV } from "../../agent/config.js";
import { newEndpointToken } from "../../agent/endpoint-token.js";
import { admit, type Decision } from "../../injector/admit.js";
import { type SettingsInput } from "../../injector/settings.js";
import { parseSettings } from "../../injector/load-settings.js";
import { af3WorkerPod, annotate, INJECT, type Obj } from "../support/fixtures.js";
import { TEST_SETTINGS, startWebhookEnv } from "../support/webhook-env.js";

type EnvVar = { name: string; value?: string };
type Container = { name: string; env?: EnvVar[] };
type Inject = Extract<Decision, { kind: "inject" }>;

const TOKEN_ENV = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
const withOption: SettingsInput = { ...TEST_SETTINGS, injection: { endpointTokenEnv: true } };

function inject(pod: Obj, settings: SettingsInput, endpointToken?: string): Inject {
  const decision = admit({ object: pod, namespace: "airflow", settings: parseSettings(settings), ...(endpointToken !== undefined && { endpointToken }) });
  if (decision.kind !== "inject") throw new Error(`expected an injection, got ${JSON.stringify(decision)}`);
  // Whatever goes on the wire is exactly the operations.
  expect(decision.patchJson).toBe(JSON.stringify(decision.patch));
  return decision;
}

function envOf(container: Container | undefined): Record<string, string | undefined> {
  return Object.fromEntries((container?.env ?? []).map((e) => [e.name, e.value]));
}

function appEnv(decision: Inject, index = 0): Record<string, string | undefined> {
  const added = decision.patch.filter((op) => op.path.startsWith(`/spec/containers/${index}/env`)).flatMap((op) => (Array.isArray(op.value) ? op.value : [op.value])) as EnvVar[];
  return envOf({ name: "app", env: added });
}

function agentEnv(decision: Inject): Record<string, string | undefined> {
  const added = decision.patch.filter((op) => op.path.startsWith("/spec/initContainers")).flatMap((op) => (Array.isArray(op.value) ? op.value : [op.value])) as Container[];
  return envOf(added.find((c) => c.name === "avi-agent"));
}

function podWithEnv(env: EnvVar[]): Obj {
  const pod = annotate(af3WorkerPod());
  const spec = pod["spec"] as { containers: (Container & Obj)[] };
  spec.containers[0]!.env = [...(spec.containers[0]!.env ?? []), ...env];
  return pod;
}

describe("injection.endpointTokenEnv", () => {
  it("is off by default: the token file only, no token in the pod spec (a token passed in is ignored)", () => {
    expect(parseSettings(TEST_SETTINGS).injection.endpointTokenEnv).toBe(false);
    const decision = inject(annotate(af3WorkerPod()), TEST_SETTINGS, newEndpointToken());
    expect(appEnv(decision)).toHaveProperty("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/var/run/secrets/airflow-vault/endpoint-token");
    expect(appEnv(decision)).not.toHaveProperty(TOKEN_ENV);
    expect(agentEnv(decision)).not.toHaveProperty(ENDPOINT_TOKEN_ENV);
  });

  it("on: the app containers get the token inline next to the file, the agent the same token in its own env var, not in its config", () => {
    const token = newEndpointToken();
    const decision = inject(annotate(af3WorkerPod()), withOption, token);
    expect(appEnv(decision)).toMatchObject({ [TOKEN_ENV]: token, AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: "/var/run/secrets/airflow-vault/endpoint-token" });
    expect(agentEnv(decision)[ENDPOINT_TOKEN_ENV]).toBe(token);
    expect(agentEnv(decision)[AGENT_CONFIG_ENV]).not.toContain(token);
    expect(JSON.stringify(decision.plan.agentConfig)).not.toContain(token);
  });

  it("each pod's token is its own: the agent container's JSON is not served from a template with an old token", () => {
    const [a, b] = [newEndpointToken(), newEndpointToken()];
    const first = inject(annotate(af3WorkerPod()), withOption, a);
    const second = inject(annotate(af3WorkerPod()), withOption, b);
    expect(first.patchJson).toContain(a);
    expect(second.patchJson).toContain(b);
    expect(second.patchJson).not.toContain(a);
  });

  it("never overrides a token the container sets, and gives none to a container pointed at another endpoint", () => {
    const own = inject(podWithEnv([{ name: TOKEN_ENV, value: "users-own" }]), withOption, newEndpointToken());
    expect(appEnv(own)).not.toHaveProperty(TOKEN_ENV);
    const elsewhere = inject(podWithEnv([{ name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: "http://169.254.170.23/v1/credentials" }]), withOption, newEndpointToken());
    expect(appEnv(elsewhere)).not.toHaveProperty(TOKEN_ENV);
    // The agent still serves with it (the other containers of a pod may use it).
    expect(agentEnv(elsewhere)).toHaveProperty(ENDPOINT_TOKEN_ENV);
  });

  it("init mode has no endpoint, so no token anywhere", () => {
    const decision = inject(annotate(af3WorkerPod(), { ...INJECT, "airflow-vault.io/mode": "init" }), withOption, newEndpointToken());
    expect(appEnv(decision)).not.toHaveProperty(TOKEN_ENV);
    expect(agentEnv(decision)).not.toHaveProperty(ENDPOINT_TOKEN_ENV);
  });

  it("on, without a token from the caller: an error naming the setting (the injector makes no randomness)", () => {
    expect(() => admit({ object: annotate(af3WorkerPod()), namespace: "airflow", settings: parseSettings(withOption) })).toThrowError(/injection\.endpointTokenEnv is on, but no endpoint token was supplied/);
  });
});

describe("the webhook with injection.endpointTokenEnv", () => {
  const tokensOf = (pod: Obj): { app?: string; agent?: string } => {
    const spec = pod["spec"] as { containers: Container[]; initContainers: Container[] };
    const app = envOf(spec.containers[0])[TOKEN_ENV];
    const agent = envOf(spec.initContainers.find((c) => c.name === "avi-agent"))[ENDPOINT_TOKEN_ENV];
    return { ...(app !== undefined && { app }), ...(agent !== undefined && { agent }) };
  };

  it("makes a fresh 43-character base64url token per pod, the same for app and agent", async () => {
    const web = await startWebhookEnv({ settings: withOption });
    try {
      const tokens = [];
      for (let i = 0; i < 2; i++) {
        const outcome = await web.harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
        if (!outcome.allowed) throw new Error(outcome.message);
        const { app, agent } = tokensOf(outcome.pod);
        expect(app).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(agent).toBe(app);
        tokens.push(app);
      }
      expect(tokens[0]).not.toBe(tokens[1]);
    } finally {
      await web.close();
    }
  });

  it("makes none when the option is off", async () => {
    const web = await startWebhookEnv();
    try {
      const outcome = await web.harness.admit(annotate(af3WorkerPod()), { namespace: "airflow" });
      if (!outcome.allowed) throw new Error(outcome.message);
      expect(tokensOf(outcome.pod)).toEqual({});
    } finally {
      await web.close();
    }
  });
});
