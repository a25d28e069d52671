/**
 * The Helm chart, rendered by test/chart/render.ts (Go text/template + Sprig + Helm's functions and
 * values rules — not Helm itself) for the default values and several value sets. Every object is
 * validated with kubernetes-models (cert-manager and prometheus-operator models for the CRs), and the
 * properties the issue asks for are asserted: the webhook registration (fail-closed only for pods that
 * ask, no self-interception), TLS per mode, HA, PSS, the settings ConfigMap the webhook parses, the
 * Deployment args the webhook's CLI accepts.
 */
import { spawnSync } from "node:child_process";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { expect, it } from "vitest";
import { parseSettingsText } from "../../injector/load-settings.js";
import { flagSources, parseWebhookArgs } from "../../cli/commands/webhook.js";
import { resolveWebhookOptions } from "../../webhook/options.js";
import { restrictedViolations } from "../../sim/apiserver/admission/pod-security.js";
import { describeWithTools } from "../support/tools.js";
import { ChartValuesError, CHART_DIR, renderChart, renderChartText, type RenderOptions, type RenderedObject } from "./render.js";

type Obj = Record<string, unknown>;

const MODELS: Record<string, string> = {
  "v1/ConfigMap": "kubernetes-models/v1/ConfigMap",
  "v1/Service": "kubernetes-models/v1/Service",
  "v1/ServiceAccount": "kubernetes-models/v1/ServiceAccount",
  "apps/v1/Deployment": "kubernetes-models/apps/v1/Deployment",
  "policy/v1/PodDisruptionBudget": "kubernetes-models/policy/v1/PodDisruptionBudget",
  "networking.k8s.io/v1/NetworkPolicy": "kubernetes-models/networking.k8s.io/v1/NetworkPolicy",
  "rbac.authorization.k8s.io/v1/Role": "kubernetes-models/rbac.authorization.k8s.io/v1/Role",
  "rbac.authorization.k8s.io/v1/RoleBinding": "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding",
  "rbac.authorization.k8s.io/v1/ClusterRole": "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole",
  "rbac.authorization.k8s.io/v1/ClusterRoleBinding": "kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding",
  "admissionregistration.k8s.io/v1/MutatingWebhookConfiguration": "kubernetes-models/admissionregistration.k8s.io/v1/MutatingWebhookConfiguration",
  "cert-manager.io/v1/Certificate": "@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate",
  "cert-manager.io/v1/Issuer": "@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer",
  "monitoring.coreos.com/v1/ServiceMonitor": "@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor",
};

async function validate(obj: RenderedObject): Promise<void> {
  const path = MODELS[`${obj.apiVersion}/${obj.kind}`];
  if (path === undefined) throw new Error(`no model for ${obj.apiVersion}/${obj.kind}: add it to MODELS`);
  const module = (await import(path)) as Record<string, new (o: unknown) => { validate(): void }>;
  const Model = module[obj.kind];
  if (Model === undefined) throw new Error(`${path} exports no ${obj.kind}`);
  try {
    new Model(obj).validate();
  } catch (err) {
    throw new Error(`${obj.kind} ${obj.metadata.name}: ${(err as Error).message}`, { cause: err });
  }
}

async function rendered(options: RenderOptions = {}): Promise<RenderedObject[]> {
  const { objects } = await renderChart(options);
  for (const obj of objects) await validate(obj);
  return objects;
}

const one = (objects: RenderedObject[], kind: string, name?: string): RenderedObject => {
  const found = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (found.length !== 1) throw new Error(`expected one ${kind}${name ? ` ${name}` : ""}, found ${found.length}`);
  return found[0]!;
};
const kinds = (objects: RenderedObject[]): string[] => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const webhookOf = (objects: RenderedObject[]): Obj => ((one(objects, "MutatingWebhookConfiguration")["webhooks"] as Obj[])[0]) as Obj;
const podSpec = (objects: RenderedObject[]): Obj => ((one(objects, "Deployment")["spec"] as Obj)["template"] as Obj)["spec"] as Obj;
const container = (objects: RenderedObject[]): Obj => (podSpec(objects)["containers"] as Obj[])[0] as Obj;
const argsOf = (objects: RenderedObject[]): string[] => container(objects)["args"] as string[];

/** The Deployment's args, parsed by the webhook CLI itself (an unknown flag throws). */
function webhookOptions(objects: RenderedObject[]) {
  const [command, ...flags] = argsOf(objects);
  expect(command).toBe("webhook");
  return resolveWebhookOptions(flagSources(parseWebhookArgs(flags)), {}, {}, "avi-system");
}

const CA = Buffer.from("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n").toString("base64");

describeWithTools(["go"], "default values", () => {
  it("renders exactly the expected objects, all valid", async () => {
    const objects = await rendered();
    expect(kinds(objects)).toEqual([
      "ClusterRole/airflow-vault-injector.avi-airflow-vault-injector.avi-system",
      "ClusterRoleBinding/airflow-vault-injector.avi-airflow-vault-injector.avi-system",
      "ConfigMap/avi-airflow-vault-injector-settings",
      "Deployment/avi-airflow-vault-injector",
      "MutatingWebhookConfiguration/airflow-vault-injector.avi-airflow-vault-injector.avi-system",
      "PodDisruptionBudget/avi-airflow-vault-injector",
      "Role/avi-airflow-vault-injector",
      "RoleBinding/avi-airflow-vault-injector",
      "Service/avi-airflow-vault-injector",
      "ServiceAccount/avi-airflow-vault-injector",
    ]);
  });

  it("registers the webhook fail-closed only for pods that ask for injection, never for its own pods", async () => {
    const objects = await rendered();
    const hook = webhookOf(objects);
    expect(hook).toMatchObject({
      name: "inject.airflow-vault.io",
      admissionReviewVersions: ["v1"],
      sideEffects: "None",
      failurePolicy: "Fail",
      reinvocationPolicy: "IfNeeded",
      rules: [{ operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["pods"], scope: "Namespaced" }],
      clientConfig: { service: { name: "avi-airflow-vault-injector", namespace: "avi-system", path: "/mutate", port: 443 } },
    });
    expect(hook["timeoutSeconds"]).toBeLessThanOrEqual(10);
    const conditions = hook["matchConditions"] as { name: string; expression: string }[];
    expect(conditions.map((c) => c.name)).toEqual(["asks-for-injection", "not-injected-yet", "not-a-mirror-pod"]);
    expect(conditions[0]!.expression).toContain("object.metadata.annotations['airflow-vault.io/inject'] != 'false'");
    expect(conditions[1]!.expression).toContain("'airflow-vault.io/status' in object.metadata.annotations");
    expect(conditions[2]!.expression).toContain("'kubernetes.io/config.mirror' in object.metadata.annotations");
    // Not kube-system, not the release namespace.
    expect(hook["namespaceSelector"]).toEqual({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "avi-system"] }] });
    // The objectSelector excludes exactly the webhook's own pods (their template labels match the NotIn).
    const expr = (hook["objectSelector"] as { matchExpressions: { key: string; operator: string; values: string[] }[] }).matchExpressions[0]!;
    expect(expr).toMatchObject({ key: "app.kubernetes.io/name", operator: "NotIn" });
    const podLabels = (((one(objects, "Deployment")["spec"] as Obj)["template"] as Obj)["metadata"] as Obj)["labels"] as Record<string, string>;
    expect(expr.values).toContain(podLabels[expr.key]);
    // The Service routes to the pods, on the port the webhook listens on.
    const service = one(objects, "Service");
    expect((service["spec"] as Obj)["selector"]).toEqual(Object.fromEntries(Object.entries(podLabels).filter(([k]) => k === "app.kubernetes.io/name" || k === "app.kubernetes.io/instance")));
    expect((service["spec"] as { ports: Obj[] }).ports[0]).toMatchObject({ port: 443, targetPort: "https" });
  });

  it("names the MutatingWebhookConfiguration so the API server calls it before Istio's, whatever the release name", async () => {
    // The API server runs mutating webhooks in the order of their configurations' names (Go string
    // order): kubernetes/kubernetes staging/src/k8s.io/apiserver/pkg/admission/configuration/
    // mutating_webhook_manager.go, getMutatingWebhookConfigurations (sort.SliceStable … ByName).
    for (const releaseName of ["avi", "zz-top", "vault-injector", "my-release"]) {
      const objects = await rendered({ releaseName });
      const name = one(objects, "MutatingWebhookConfiguration").metadata.name;
      for (const istio of ["istio-sidecar-injector", "istio-sidecar-injector-1-24", "istio-revision-tag-default"]) expect(name < istio, `${name} < ${istio}`).toBe(true);
      expect(argsOf(objects)).toContain(`--webhook-configuration=${name}`);
    }
  });

  it("NOTES.txt points at the documentation by the chart's home URL, not at paths in a checkout", async () => {
    const notes = await readFile(join(CHART_DIR, "templates", "NOTES.txt"), "utf8");
    expect(notes).toContain("{{ .Chart.Home }}/blob/v{{ .Chart.AppVersion }}/docs/airflow.md");
    expect(notes).not.toMatch(/(^|[\s,(])docs\/\w+\.md/);
    expect(await readFile(join(CHART_DIR, "Chart.yaml"), "utf8")).toMatch(/^home: https:\/\/\S+$/m);
  });

  it("runs two PSS-restricted replicas with a PDB, spread and anti-affinity, probes on /readyz and /healthz", async () => {
    const objects = await rendered();
    expect((one(objects, "Deployment")["spec"] as Obj)["replicas"]).toBe(2);
    expect(one(objects, "PodDisruptionBudget")["spec"]).toMatchObject({ maxUnavailable: 1 });
    const spec = podSpec(objects);
    expect(restrictedViolations({ spec })).toEqual([]);
    expect(spec["topologySpreadConstraints"]).toHaveLength(2);
    expect(spec["affinity"]).toHaveProperty("podAntiAffinity");
    const c = container(objects);
    expect(c["readinessProbe"]).toMatchObject({ httpGet: { path: "/readyz", port: "https", scheme: "HTTPS" } });
    expect(c["livenessProbe"]).toMatchObject({ httpGet: { path: "/healthz", port: "https", scheme: "HTTPS" } });
    expect(c["securityContext"]).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(spec["automountServiceAccountToken"]).toBe(true);
  });

  it("renders the settings ConfigMap the webhook parses, mounted as a directory (hot reload)", async () => {
    const objects = await rendered();
    const text = (one(objects, "ConfigMap")["data"] as Record<string, string>)["settings.yaml"]!;
    const settings = parseSettingsText(text, "ConfigMap settings.yaml");
    expect(settings.vault).toMatchObject({ address: "https://vault.vault.svc:8200", role: "airflow", audience: "vault", authMount: "kubernetes" });
    expect(settings.agent).toMatchObject({ image: "ghcr.io/example/airflow-vault-injector:0.1.0", endpointPort: 9911, healthPort: 9912, mountPath: "/var/run/secrets/airflow-vault" });
    expect(settings.agent.resources).toEqual({ requests: { cpu: "10m", memory: "32Mi" }, limits: { memory: "96Mi" } });
    const mounts = container(objects)["volumeMounts"] as { name: string; mountPath: string; subPath?: string }[];
    const mount = mounts.find((m) => m.name === "settings")!;
    expect(mount.subPath).toBeUndefined();
    expect(webhookOptions(objects).settings).toBe(`${mount.mountPath}/settings.yaml`);
  });

  it("starts the webhook in self-issued mode with names matching the rendered objects", async () => {
    const objects = await rendered();
    const options = webhookOptions(objects);
    expect(options.selfIssued).toEqual({
      secret: "avi-airflow-vault-injector-tls",
      webhookConfiguration: one(objects, "MutatingWebhookConfiguration").metadata.name,
      service: one(objects, "Service").metadata.name,
      namespace: "avi-system",
      validity: 2160 * 3600,
    });
    expect(options).toMatchObject({ namespaceLabels: true, driftReport: false, port: 8443 });
    expect((webhookOf(objects)["clientConfig"] as Obj)["caBundle"]).toBeUndefined(); // filled in by the webhook
  });
});

describeWithTools(["go"], "TLS modes", () => {
  it("certManager: self-signed CA chain, serving Certificate for the Service, inject-ca-from, files mounted", async () => {
    const objects = await rendered({ values: [{ tls: { mode: "certManager" } }] });
    expect(kinds(objects).filter((k) => /^(Certificate|Issuer)\//.test(k))).toEqual([
      "Certificate/avi-airflow-vault-injector",
      "Certificate/avi-airflow-vault-injector-ca",
      "Issuer/avi-airflow-vault-injector-ca",
      "Issuer/avi-airflow-vault-injector-selfsigned",
    ]);
    const cert = one(objects, "Certificate", "avi-airflow-vault-injector")["spec"] as Obj;
    expect(cert["dnsNames"]).toContain("avi-airflow-vault-injector.avi-system.svc");
    expect(cert["secretName"]).toBe("avi-airflow-vault-injector-tls");
    expect(one(objects, "MutatingWebhookConfiguration").metadata.annotations).toEqual({ "cert-manager.io/inject-ca-from": "avi-system/avi-airflow-vault-injector" });
    const options = webhookOptions(objects);
    expect(options.selfIssued).toBeUndefined();
    expect(options.tlsCert).toBe("/etc/airflow-vault-injector/tls/tls.crt");
    const volume = (podSpec(objects)["volumes"] as { name: string; secret?: { secretName: string } }[]).find((v) => v.name === "tls");
    expect(volume?.secret?.secretName).toBe("avi-airflow-vault-injector-tls");
    // No Secret/webhook-configuration RBAC without self-issued mode.
    expect(kinds(objects).some((k) => k.startsWith("Role/"))).toBe(false);
    const rules = one(objects, "ClusterRole")["rules"] as { resources: string[] }[];
    expect(rules.flatMap((r) => r.resources)).toEqual(["namespaces"]);
  });

  it("certManager with an external issuer renders only the serving Certificate", async () => {
    const objects = await rendered({ values: [{ tls: { mode: "certManager", certManager: { issuerRef: { name: "corp-ca", kind: "ClusterIssuer" } } } }] });
    expect(kinds(objects).filter((k) => /^(Certificate|Issuer)\//.test(k))).toEqual(["Certificate/avi-airflow-vault-injector"]);
    expect((one(objects, "Certificate")["spec"] as Obj)["issuerRef"]).toEqual({ name: "corp-ca", kind: "ClusterIssuer" });
  });

  it("secret: the given Secret and caBundle; no API access at all when the features are off", async () => {
    const objects = await rendered({ values: [{ tls: { mode: "secret", secret: { name: "my-tls", caBundle: CA } }, namespaceLabels: { enabled: false } }] });
    expect((webhookOf(objects)["clientConfig"] as Obj)["caBundle"]).toBe(CA);
    expect(kinds(objects).some((k) => /Role/.test(k))).toBe(false);
    expect(podSpec(objects)["automountServiceAccountToken"]).toBe(false);
    expect((podSpec(objects)["volumes"] as { name: string; secret?: { secretName: string } }[]).find((v) => v.name === "tls")?.secret?.secretName).toBe("my-tls");
  });

  it("secret mode without its Secret or caBundle fails with the value to set", async () => {
    await expect(renderChartText({ values: [{ tls: { mode: "secret", secret: { name: "my-tls" } } }] })).rejects.toThrow("tls.secret.caBundle is required with tls.mode=secret");
    await expect(renderChartText({ values: [{ tls: { mode: "secret", secret: { caBundle: CA } } }] })).rejects.toThrow("tls.secret.name is required with tls.mode=secret");
  });
});

describeWithTools(["go"], "value sets", () => {
  it("3 replicas with the drift report: RBAC for pods and events, flags on", async () => {
    const objects = await rendered({ set: ["replicaCount=3", "driftReport.enabled=true", "priorityClassName=system-cluster-critical"] });
    expect((one(objects, "Deployment")["spec"] as Obj)["replicas"]).toBe(3);
    expect(podSpec(objects)["priorityClassName"]).toBe("system-cluster-critical");
    expect(webhookOptions(objects)).toMatchObject({ driftReport: true, namespaceLabels: true });
    const rules = one(objects, "ClusterRole")["rules"] as { resources: string[]; verbs: string[] }[];
    expect(rules.map((r) => `${r.resources.join()}:${r.verbs.join()}`)).toEqual([
      "mutatingwebhookconfigurations:get,list,watch,patch",
      "namespaces:get",
      "pods:list,watch",
      "events:create",
    ]);
  });

  it("1 replica: no PodDisruptionBudget (it would block node drains)", async () => {
    const objects = await rendered({ set: ["replicaCount=1"] });
    expect(kinds(objects).some((k) => k.startsWith("PodDisruptionBudget/"))).toBe(false);
  });

  it("NetworkPolicy and ServiceMonitor on", async () => {
    const objects = await rendered({
      values: [{ networkPolicy: { enabled: true, apiServer: { cidrs: ["10.0.0.1/32"], ports: [443] } }, metrics: { serviceMonitor: { enabled: true, labels: { release: "prom" } } } }],
    });
    const np = one(objects, "NetworkPolicy")["spec"] as { policyTypes: string[]; ingress: Obj[]; egress: { to?: Obj[]; ports: Obj[] }[] };
    expect(np.policyTypes).toEqual(["Ingress", "Egress"]);
    expect(np.ingress).toEqual([{ ports: [{ port: "https", protocol: "TCP" }] }]);
    expect(np.egress[1]).toEqual({ ports: [{ port: 443, protocol: "TCP" }], to: [{ ipBlock: { cidr: "10.0.0.1/32" } }] });
    const sm = one(objects, "ServiceMonitor");
    expect(sm.metadata.labels?.["release"]).toBe("prom");
    expect((sm["spec"] as { endpoints: Obj[] }).endpoints[0]).toMatchObject({
      port: "https",
      scheme: "https",
      tlsConfig: { serverName: "avi-airflow-vault-injector.avi-system.svc", ca: { secret: { name: "avi-airflow-vault-injector-tls", key: "ca.crt" } } },
    });
  });

  it("custom profiles, Vault and agent values reach the settings unchanged", async () => {
    const profiles = {
      "minio-etl": { path: "aws/sts/minio-etl", format: "aws", endpoint: "http://minio.minio.svc:9000", region: "us-east-1", airflowConnId: "minio_default", ttl: "1h", allowedNamespaces: ["airflow"], allowedServiceAccounts: ["airflow-worker"] },
      "ceph-archive": { path: "secret/data/rgw/archive", format: "kv", endpoint: "http://rgw.ceph.svc:7480", refreshInterval: "5m", fields: { accessKey: "ak" } },
    };
    const objects = await rendered({
      values: [
        {
          vault: { address: "https://vault.example:8200", role: "etl", namespace: "team-a", timeout: "5s" },
          agent: { image: "registry.example/avi:1.2.3", runAsUser: 1000, logLevel: "debug" },
          injection: { defaultMode: "init", istio: { classicSidecar: "always", strategy: "proxyUID" } },
          profiles,
        },
      ],
    });
    const settings = parseSettingsText((one(objects, "ConfigMap")["data"] as Record<string, string>)["settings.yaml"]!);
    expect(Object.keys(settings.profiles).sort()).toEqual(["ceph-archive", "minio-etl"]);
    expect(settings.profiles["minio-etl"]).toMatchObject({ path: "aws/sts/minio-etl", ttl: 3600, allowedServiceAccounts: ["airflow-worker"] });
    expect(settings.profiles["ceph-archive"]).toMatchObject({ format: "kv", refreshInterval: 300, fields: { accessKey: "ak" } });
    expect(settings.vault).toMatchObject({ address: "https://vault.example:8200", role: "etl", namespace: "team-a", timeout: 5 });
    expect(settings.agent).toMatchObject({ image: "registry.example/avi:1.2.3", runAsUser: 1000, logLevel: "debug" });
    expect(settings.injection).toMatchObject({ defaultMode: "init", istio: { classicSidecar: "always", strategy: "proxyUID" } });
  });

  it("a null value deletes a default (Helm's rule), and --set wins over -f", async () => {
    const objects = await rendered({ values: [{ podSecurityContext: { runAsGroup: null }, replicaCount: 4 }], set: ["replicaCount=5"] });
    expect((one(objects, "Deployment")["spec"] as Obj)["replicas"]).toBe(5);
    expect(podSpec(objects)["securityContext"]).not.toHaveProperty("runAsGroup");
  });

  it("namespaceSelector override and extra excluded namespaces", async () => {
    const extra = await rendered({ values: [{ webhook: { excludeNamespaces: ["kube-system", "monitoring"] } }] });
    expect(webhookOf(extra)["namespaceSelector"]).toEqual({ matchExpressions: [{ key: "kubernetes.io/metadata.name", operator: "NotIn", values: ["kube-system", "monitoring", "avi-system"] }] });
    const custom = await rendered({ values: [{ webhook: { namespaceSelector: { matchLabels: { "airflow-vault.io/enabled": "true" } } } }] });
    expect(webhookOf(custom)["namespaceSelector"]).toEqual({ matchLabels: { "airflow-vault.io/enabled": "true" } });
  });
});

describeWithTools(["go"], "values.schema.json (checked before rendering, like Helm)", () => {
  const rejects = async (values: Obj, ...messages: string[]): Promise<void> => {
    const error = await renderChartText({ values: [values] }).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(ChartValuesError);
    for (const m of messages) expect((error as Error).message).toContain(m);
  };
  it("npm run chart:render: YAML only on stdout; an error from the Go renderer is one `Error:` line on stderr", () => {
    const tsx = join(CHART_DIR, "..", "..", "node_modules", ".bin", "tsx");
    const cli = join(CHART_DIR, "..", "..", "test", "chart", "render-cli.ts");
    const ok = spawnSync(tsx, [cli, "--set", "replicaCount=1"], { encoding: "utf8" });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/^---\n# Source: /);
    const bad = spawnSync(tsx, [cli, "--set", "oops"], { encoding: "utf8" });
    expect(bad.status).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toBe('Error: --set "oops": expected key=value\n');
  }, 60_000);

  it("rejects unknown keys, wrong types and out-of-range values with the path", async () => {
    await rejects({ replicas: 2 }, '(root): additional property "replicas" is not allowed');
    await rejects({ webhook: { timeoutSeconds: 30 } }, "webhook.timeoutSeconds: must be <= 10");
    await rejects({ replicaCount: "2" }, "replicaCount: must be integer");
    await rejects({ tls: { mode: "auto" } }, 'tls.mode: must be one of "selfIssued", "certManager", "secret"');
    await rejects({ agent: { tokenExpirationSeconds: 60 } }, "agent.tokenExpirationSeconds: must be >= 600");
    await rejects({ profiles: { "Bad Name": { path: "a", format: "aws" } } }, `profiles: key "Bad Name" must match pattern`);
    await rejects({ profiles: { etl: { path: "aws/sts/etl", format: "s3" } } }, "profiles.etl.format: must be one of");
    await rejects({ vault: { adress: "x" } }, 'vault: additional property "adress" is not allowed');
    await rejects({ podLabels: { "app.kubernetes.io/name": "x" } }, "podLabels: must NOT be valid");
  });
});
