import { describe, expect, it } from "vitest";
import { admit, type Decision } from "../../injector/admit.js";
import { type SettingsInput } from "../../injector/settings.js";
import { parseSettings } from "../../injector/load-settings.js";
import { FILE_MODE_ALL, FILE_MODE_GROUP, FILE_MODE_OWNER } from "../../injector/file-mode.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";
import { containerNamed, envOf, injectAndCheck } from "../support/injection-checks.js";
import type { Obj } from "../support/fixtures.js";

const settings = parseSettings(TEST_SETTINGS);
const withSettings = (patch: Partial<SettingsInput>) => parseSettings({ ...TEST_SETTINGS, ...patch });

function pod(annotations: Record<string, unknown> = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl" }, spec: Obj = {}): Obj {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { generateName: "etl-load-", annotations },
    spec: {
      serviceAccountName: "airflow-worker",
      containers: [{ name: "base", image: "apache/airflow:3.1.0", env: [{ name: "AIRFLOW_IS_K8S_EXECUTOR_POD", value: "True" }] }],
      ...spec,
    },
  };
}

function decide(object: Obj, namespace = "airflow", s = settings): Decision {
  return admit({ object, namespace, settings: s });
}

function denial(object: Obj, namespace = "airflow", s = settings): { code: number; message: string } {
  const d = decide(object, namespace, s);
  if (d.kind !== "deny") throw new Error(`expected a denial, got ${d.kind}`);
  return { code: d.code, message: d.message };
}

describe("which pods are touched", () => {
  it("skips pods without the inject annotation, and warns when our other annotations are there", () => {
    expect(decide(pod({}))).toMatchObject({ kind: "skip", warnings: [] });
    const d = decide(pod({ "airflow-vault.io/credentials": "minio-etl" }));
    expect(d.kind).toBe("skip");
    expect(d.warnings[0]).toMatch(/set airflow-vault.io\/inject: "true"/);
  });

  it('skips inject: "false" and denies a value that is not a boolean', () => {
    expect(decide(pod({ "airflow-vault.io/inject": "false" })).kind).toBe("skip");
    expect(denial(pod({ "airflow-vault.io/inject": "yes" })).message).toBe('airflow-vault.io/inject: "yes" is not "true" or "false"');
    expect(denial(pod({ "airflow-vault.io/inject": true })).message).toMatch(/must be the string "true" or "false"; quote it/);
  });

  it("is idempotent: the status annotation or an existing avi-agent means no patch", () => {
    expect(decide(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/status": "injected" })).kind).toBe("skip");
    const withAgent = pod(undefined, { initContainers: [{ name: "avi-agent", image: "x" }] });
    expect(decide(withAgent)).toMatchObject({ kind: "skip", reason: expect.stringMatching(/avi-agent/) as unknown });
    expect(denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/status": "pending" })).message).toMatch(/written by the webhook/);
  });

  it("refuses denied namespaces, mirror pods are skipped, and a volume-name clash is a denial", () => {
    expect(denial(pod(), "kube-system")).toEqual({ code: 403, message: expect.stringMatching(/not allowed in namespace "kube-system"/) as unknown });
    expect(decide(pod({ "airflow-vault.io/inject": "true", "kubernetes.io/config.mirror": "abc" })).kind).toBe("skip");
    expect(denial(pod(undefined, { volumes: [{ name: "avi-token", emptyDir: {} }] })).message).toMatch(/already has a volume named "avi-token"/);
  });

  it("refuses pods the agent cannot run in: Windows, and host network in sidecar mode", () => {
    expect(denial(pod(undefined, { os: { name: "windows" } })).message).toMatch(/Windows pods are not supported/);
    expect(denial(pod(undefined, { hostNetwork: true })).message).toMatch(/use airflow-vault.io\/mode: "init" or drop hostNetwork/);
    const init = pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/mode": "init" }, { hostNetwork: true });
    expect(decide(init).kind).toBe("inject");
  });

  it("denies an object that is not a pod with the field that is wrong", () => {
    expect(denial({ metadata: { annotations: { "airflow-vault.io/inject": "true" } } }).message).toMatch(/not a Pod or pod template: spec/);
    expect(denial(pod(undefined, { containers: [] })).message).toMatch(/no containers/);
  });
});

describe("denial messages name the annotation or profile and the fix", () => {
  it("unknown annotation keys, with a suggestion", () => {
    const d = denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credential": "minio-etl" }));
    expect(d.code).toBe(400);
    expect(d.message).toMatch(/airflow-vault.io\/credential: unknown annotation \(did you mean "credentials"\?\)/);
  });

  it("an unknown profile lists those available to this namespace and service account", () => {
    const d = denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-et" }));
    expect(d).toEqual({
      code: 400,
      message:
        'airflow-vault.io/credentials: no credential profile "minio-et" (did you mean "minio-etl"?); profiles available to service account "airflow-worker" in namespace "airflow": minio-etl, archive',
    });
  });

  it("profile policy: namespace and service account", () => {
    const ns = denial(pod(), "payments");
    expect(ns.code).toBe(403);
    expect(ns.message).toMatch(/profile "minio-etl" is not allowed in namespace "payments" \(allowedNamespaces: airflow, test-\*, default\)/);
    const s = withSettings({ profiles: { "minio-etl": { path: "aws/sts/x", format: "aws", allowedServiceAccounts: ["airflow-worker"] } } });
    const sa = denial(pod(undefined, { serviceAccountName: "intruder" }), "airflow", s);
    expect(sa.message).toMatch(/profile "minio-etl" is not allowed for service account "intruder" in namespace "airflow"/);
    expect(sa.message).toMatch(/no profile is available to service account "intruder"/);
  });

  it("missing credentials, unknown default credential, unknown or init container", () => {
    expect(denial(pod({ "airflow-vault.io/inject": "true" })).message).toMatch(/^airflow-vault.io\/credentials is required/);
    expect(denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/default-credential": "archive" })).message).toMatch(
      /default-credential: "archive" is not one of this pod's credentials \(minio-etl\)/,
    );
    expect(denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/containers": "bsae" })).message).toMatch(
      /the pod has no container "bsae" \(did you mean "base"\?\); containers: base/,
    );
    const withInit = pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/containers": "git-sync" }, { initContainers: [{ name: "git-sync", image: "g" }] });
    expect(denial(withInit).message).toMatch(/"git-sync" is an init container/);
  });

  it("a container that already mounts something at the credentials path", () => {
    const clash = pod(undefined, { containers: [{ name: "base", image: "a", volumeMounts: [{ name: "x", mountPath: "/var/run/secrets/airflow-vault" }] }] });
    expect(denial(clash).message).toMatch(/container "base" already mounts volume "x" at \/var\/run\/secrets\/airflow-vault/);
  });

  it("ad-hoc credentials: off by default (403), validated when allowed", () => {
    const adHoc = { "airflow-vault.io/inject": "true", "airflow-vault.io/credential.scratch.path": "aws/creds/scratch" };
    expect(denial(pod(adHoc))).toEqual({ code: 403, message: expect.stringMatching(/credential.scratch.path: ad-hoc credentials are disabled \(settings injection.allowAdHocCredentials\)/) as unknown });
    const allow = withSettings({ injection: { allowAdHocCredentials: true } });
    const bad = denial(pod({ ...adHoc, "airflow-vault.io/credential.scratch.format": "s3", "airflow-vault.io/credential.scratch.endpoint": "minio:9000" }), "airflow", allow);
    expect(bad.message).toMatch(/credential.scratch.format: .*\(aws, minio or kv\)/);
    expect(bad.message).toMatch(/credential.scratch.endpoint: /);
    const { decision } = injectAndCheck(pod({ ...adHoc, "airflow-vault.io/credential.scratch.ttl": "30m", "airflow-vault.io/credential.scratch.refresh-interval": "2m" }), "airflow", allow);
    expect(decision.plan.credentials).toEqual([{ name: "scratch", path: "aws/creds/scratch", format: "aws", ttl: 1800, refreshInterval: 120 }]);
  });
});

describe("what is injected", () => {
  it("the default credential's region goes into AWS_REGION and AWS_DEFAULT_REGION (older botocore, e.g. 1.29, and aws-cli v1 read only the latter), unless the container sets either", () => {
    const region = (env: { name: string; value: string }[]): Record<string, string> => {
      const p = pod(undefined, { containers: [{ name: "base", image: "apache/airflow:3.1.0", env }] });
      const e = envOf(containerNamed(injectAndCheck(p, "airflow", settings).patched, "base"));
      return Object.fromEntries(Object.entries(e).filter(([k]) => k.endsWith("REGION")));
    };
    const ours = region([])["AWS_REGION"];
    expect(ours).toBeDefined();
    expect(region([])).toEqual({ AWS_REGION: ours, AWS_DEFAULT_REGION: ours });
    expect(region([{ name: "AWS_DEFAULT_REGION", value: "eu-west-1" }])).toEqual({ AWS_DEFAULT_REGION: "eu-west-1" });
    expect(region([{ name: "AWS_REGION", value: "eu-west-2" }])).toEqual({ AWS_REGION: "eu-west-2" });
  });

  it("env is added only where the container does not set it, and shadowing env gives warnings", () => {
    const p = pod(undefined, {
      containers: [
        {
          name: "base",
          image: "apache/airflow:3.1.0",
          env: [
            { name: "AWS_REGION", value: "eu-west-1" },
            { name: "AWS_ACCESS_KEY_ID", value: "AKIA" },
          ],
        },
      ],
    });
    const { patched, decision } = injectAndCheck(p, "airflow", settings);
    const env = envOf(containerNamed(patched, "base"));
    expect(env["AWS_REGION"]).toBe("eu-west-1");
    expect(Object.keys(env).filter((k) => k === "AWS_REGION")).toHaveLength(1);
    // the author's region stays the only one: no AWS_DEFAULT_REGION that older SDKs would prefer
    expect(env).not.toHaveProperty("AWS_DEFAULT_REGION");
    expect(decision.warnings).toContain('container "base" sets AWS_ACCESS_KEY_ID, which wins over avi\'s credentials in the AWS SDK default chain');
  });

  it("never points our endpoint token at someone else's credentials URI", () => {
    const p = pod(undefined, { containers: [{ name: "base", image: "a", env: [{ name: "AWS_CONTAINER_CREDENTIALS_FULL_URI", value: "http://169.254.170.23/v1" }] }] });
    const { patched, decision } = injectAndCheck(p, "airflow", settings);
    const env = envOf(containerNamed(patched, "base"));
    expect(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]).toBe("http://169.254.170.23/v1");
    expect(env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).toBeUndefined();
    expect(decision.warnings.some((w) => w.includes("AWS_CONTAINER_CREDENTIALS_FULL_URI"))).toBe(true);
  });

  it("airflow-connections: both backends when the version is unknown, none when a backend is configured", () => {
    const ann = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/airflow-connections": "true" };
    const unknown = injectAndCheck(pod(ann, { containers: [{ name: "base", image: "registry.example/etl:7" }] }), "airflow", settings);
    const env = envOf(containerNamed(unknown.patched, "base"));
    expect(env["AIRFLOW__SECRETS__BACKEND"]).toBeDefined();
    expect(env["AIRFLOW__WORKERS__SECRETS_BACKEND"]).toBeDefined();
    const configured = pod(ann, { containers: [{ name: "base", image: "apache/airflow:2.9.0", env: [{ name: "AIRFLOW__SECRETS__BACKEND", value: "airflow.providers.hashicorp.secrets.vault.VaultBackend" }] }] });
    const result = injectAndCheck(configured, "airflow", settings);
    expect(envOf(containerNamed(result.patched, "base"))["AIRFLOW__SECRETS__BACKEND_KWARGS"]).toBeUndefined();
    expect(result.decision.warnings.some((w) => w.includes("already sets AIRFLOW__SECRETS__BACKEND"))).toBe(true);
    const noConn = injectAndCheck(pod({ ...ann, "airflow-vault.io/credentials": "archive" }), "airflow", settings);
    expect(noConn.decision.warnings.some((w) => w.includes("no credential has an Airflow conn id"))).toBe(true);
  });

  it("init mode: plain init container, no probes, files instead of the endpoint", () => {
    const p = pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/mode": "init" });
    const { patched, agent, config } = injectAndCheck(p, "airflow", settings);
    expect(config.mode).toBe("init");
    expect(agent["restartPolicy"]).toBeUndefined();
    expect(agent["startupProbe"]).toBeUndefined();
    expect(agent["livenessProbe"]).toBeUndefined();
    const env = envOf(containerNamed(patched, "base"));
    expect(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]).toBeUndefined();
    expect(env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"]).toBeUndefined();
    expect(env["AWS_CONFIG_FILE"]).toBe("/var/run/secrets/airflow-vault/aws/config");
    expect(env["AWS_PROFILE"]).toBe("minio-etl");
    expect(denial(pod({ "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/mode": "sidecars" })).message).toMatch(
      /mode: "sidecars" is not one of sidecar, init \(did you mean "sidecar"\?\)/,
    );
  });

  it("the agent config carries role, revoke-on-exit, default credential, vault settings", () => {
    const s = withSettings({ vault: { address: "https://vault.example:8200", namespace: "team-a", caCert: "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n" } });
    const p = pod({
      "airflow-vault.io/inject": "true",
      "airflow-vault.io/credentials": "minio-etl, archive",
      "airflow-vault.io/default-credential": "archive",
      "airflow-vault.io/role": "etl-writer",
      "airflow-vault.io/revoke-on-exit": "false",
    });
    const { config, patched } = injectAndCheck(p, "airflow", s);
    expect(config.vault).toMatchObject({ address: "https://vault.example:8200", namespace: "team-a", role: "etl-writer", authMount: "kubernetes" });
    expect(config.vault.tokenFile).toBe("/var/run/secrets/airflow-vault-agent/token");
    expect(config.revokeOnExit).toBe(false);
    expect(config.credentials.map((c) => c.name)).toEqual(["minio-etl", "archive"]);
    expect(envOf(containerNamed(patched, "base"))["AWS_CONTAINER_CREDENTIALS_FULL_URI"]).toBe("http://127.0.0.1:9911/v1/credentials/archive");
    expect(envOf(containerNamed(patched, "base"))["AWS_ENDPOINT_URL_S3"]).toBe("http://rgw.ceph.svc:7480");
  });

  it("projected token: audience and expiration from settings; the API token is masked unless automount is off", () => {
    const s = withSettings({ vault: { address: "https://v:8200", audience: "vault.example" }, agent: { image: "i", tokenExpirationSeconds: 7200 } });
    const { patched } = injectAndCheck(pod(), "airflow", s);
    const volumes = (patched["spec"] as Obj)["volumes"] as Obj[];
    expect(volumes.find((v) => v["name"] === "avi-token")).toEqual({
      name: "avi-token",
      projected: { sources: [{ serviceAccountToken: { audience: "vault.example", expirationSeconds: 7200, path: "token" } }] },
    });
    const off = injectAndCheck(pod(undefined, { automountServiceAccountToken: false }), "airflow", settings);
    expect(((off.patched["spec"] as Obj)["volumes"] as Obj[]).map((v) => v["name"])).toEqual(["avi-credentials", "avi-token"]);
  });

  it.each([
    ["pod fsGroup", { securityContext: { fsGroup: 2000 } }, FILE_MODE_GROUP],
    ["app runs as the agent's UID", { securityContext: { runAsUser: 65532 } }, FILE_MODE_OWNER],
    ["container-level UID differs", { securityContext: { runAsUser: 65532 }, containers: [{ name: "base", image: "a", securityContext: { runAsUser: 1000 } }] }, FILE_MODE_ALL],
    ["unknown UID (image USER)", {}, FILE_MODE_ALL],
  ])("file mode: %s", (_label, spec, mode) => {
    expect(injectAndCheck(pod(undefined, spec), "airflow", settings).config.fileMode).toBe(mode);
  });

  it("resources and pull policy from settings; PSS-restricted security context", () => {
    const { agent } = injectAndCheck(pod(), "airflow", settings);
    expect(agent["resources"]).toEqual({ requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "96Mi" } });
    expect(agent["imagePullPolicy"]).toBe("IfNotPresent");
    expect(agent["args"]).toEqual(["agent"]);
    expect(agent["command"]).toBeUndefined();
    expect(agent["securityContext"]).toEqual({
      runAsNonRoot: true,
      runAsUser: 65532,
      runAsGroup: 65532,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ["ALL"] },
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect(((agent["startupProbe"] as Obj)["httpGet"] as Obj)["host"]).toBeUndefined();
  });
});

describe("Istio", () => {
  const inject = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl" };

  it("classic sidecar expected (inject annotation): the Vault port is merged into excludeOutboundPorts", () => {
    const p = pod({ ...inject, "sidecar.istio.io/inject": "true", "traffic.sidecar.istio.io/excludeOutboundPorts": "5432" });
    const { patched, agent } = injectAndCheck(p, "airflow", settings);
    expect(((patched["metadata"] as Obj)["annotations"] as Obj)["traffic.sidecar.istio.io/excludeOutboundPorts"]).toBe("5432,8200");
    expect((agent["securityContext"] as Obj)["runAsUser"]).toBe(65532);
  });

  it("classic sidecar already injected with istio-init: the agent runs as the proxy UID", () => {
    const p = pod(inject, {
      initContainers: [{ name: "istio-init", image: "istio/proxyv2" }],
      containers: [
        { name: "base", image: "apache/airflow:3.1.0" },
        { name: "istio-proxy", image: "istio/proxyv2" },
      ],
    });
    const { agent, decision, config } = injectAndCheck(p, "airflow", settings);
    expect((agent["securityContext"] as Obj)["runAsUser"]).toBe(1337);
    expect(decision.plan.targets.map((t) => t.name)).toEqual(["base"]);
    expect(config.fileMode).toBe(FILE_MODE_ALL);
  });

  it("native istio-proxy: the agent goes after it and nothing Istio-specific is added", () => {
    const p = pod({ ...inject, "sidecar.istio.io/inject": "true" }, { initContainers: [{ name: "istio-proxy", image: "istio/proxyv2", restartPolicy: "Always" }] });
    const { patched, decision } = injectAndCheck(p, "airflow", settings);
    expect(((patched["spec"] as Obj)["initContainers"] as Obj[]).map((c) => c["name"])).toEqual(["istio-proxy", "avi-agent"]);
    expect(Object.keys(decision.plan.annotations)).toEqual(["airflow-vault.io/status"]);
  });

  describe("namespace labels (looked up by the webhook)", () => {
    const planFor = (p: Obj, namespaceLabels?: Record<string, string>): Decision => admit({ object: p, namespace: "airflow", settings, ...(namespaceLabels && { namespaceLabels }) });
    const excluded = (d: Decision): unknown => (d.kind === "inject" ? d.plan.annotations["traffic.sidecar.istio.io/excludeOutboundPorts"] : d.kind);

    it("istio-injection=enabled makes an unmarked pod classic; the pod may opt out", () => {
      expect(excluded(planFor(pod(inject)))).toBeUndefined();
      expect(excluded(planFor(pod(inject), { "istio-injection": "enabled" }))).toBe("8200");
      expect(excluded(planFor(pod({ ...inject, "sidecar.istio.io/inject": "false" }), { "istio-injection": "enabled" }))).toBeUndefined();
      expect(excluded(planFor(pod({ ...inject, "sidecar.istio.io/nativeSidecar": "true" }), { "istio-injection": "enabled" }))).toBeUndefined();
    });

    it("istio.io/rev selects the namespace unless istio-injection is set; istio-injection=disabled wins over the pod", () => {
      expect(excluded(planFor(pod(inject), { "istio.io/rev": "canary" }))).toBe("8200");
      expect(excluded(planFor(pod({ ...inject, "sidecar.istio.io/inject": "true" }), { "istio-injection": "disabled" }))).toBeUndefined();
      expect(excluded(planFor(pod(inject), { "istio-injection": "disabled", "istio.io/rev": "canary" }))).toBeUndefined();
      expect(excluded(planFor(pod(inject), { "kubernetes.io/metadata.name": "airflow" }))).toBeUndefined();
    });
  });

  it("settings: classicSidecar never/always, strategy proxyUID", () => {
    const never = withSettings({ injection: { istio: { classicSidecar: "never" } } });
    expect(Object.keys(injectAndCheck(pod({ ...inject, "sidecar.istio.io/inject": "true" }), "airflow", never).decision.plan.annotations)).toEqual(["airflow-vault.io/status"]);
    const always = withSettings({ injection: { istio: { classicSidecar: "always", strategy: "proxyUID" } } });
    expect((injectAndCheck(pod(inject), "airflow", always).agent["securityContext"] as Obj)["runAsUser"]).toBe(1337);
  });
});
