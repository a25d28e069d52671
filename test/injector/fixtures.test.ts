/**
 * Every real pod in test/fixtures through the injector, with the API server's view of the result
 * (test/support/injection-checks.ts): the patch applies, the pod validates, the agent passes the
 * restricted profile, and a reinvocation adds nothing.
 */
import { describe, expect, it } from "vitest";
import { parseSettings } from "../../injector/load-settings.js";
import { admit } from "../../injector/admit.js";
import { restrictedViolations } from "../../sim/apiserver/admission/pod-security.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";
import {
  af2WorkerPod,
  af3WorkerPod,
  INJECT,
  annotate,
  celeryWorkerDeployment,
  helmChartPodTemplate,
  jsonFixture,
  kpoPod,
  kpoPodWithXcomSidecar,
  kubewardenReview,
  multiDocument,
  replicaSetPodReview,
  yamlFixture,
  type Obj,
} from "../support/fixtures.js";
import { INJECTED_VOLUMES, containerNamed, envOf, injectAndCheck } from "../support/injection-checks.js";
import { fixturePath } from "../support/repo.js";
import { readdirSync } from "node:fs";

const settings = parseSettings(TEST_SETTINGS);
const INJECT_CONN = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl", "airflow-vault.io/airflow-connections": "true" };

describe("Airflow KubernetesExecutor worker pods", () => {
  it("Airflow 3 (synthesized as-created pod): native sidecar, env for base, Airflow context for audit", () => {
    const { patched, agent, config } = injectAndCheck(annotate(af3WorkerPod(), { ...INJECT_CONN }), "airflow", settings);
    expect(agent["restartPolicy"]).toBe("Always");
    expect(agent["startupProbe"]).toMatchObject({ httpGet: { path: "/ready", port: 9912 } });
    expect(config.context).toEqual({
      namespace: "airflow",
      serviceAccount: "airflow-worker",
      dagId: "etl",
      taskId: "load_s3",
      runId: "manual__2024-05-01T10:00:00+00:00",
      tryNumber: "1",
      mapIndex: "3",
    });
    expect(config.fileMode).toBe(0o440); // the pod sets fsGroup: 0
    const env = envOf(containerNamed(patched, "base"));
    expect(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"]).toBe("http://127.0.0.1:9911/v1/credentials/minio-etl");
    expect(env["AIRFLOW__WORKERS__SECRETS_BACKEND"]).toBe("airflow.secrets.local_filesystem.LocalFilesystemBackend");
    expect(env["AIRFLOW__SECRETS__BACKEND"]).toBeUndefined(); // airflow_version label says 3
    expect(env["AIRFLOW_IS_K8S_EXECUTOR_POD"]).toBe("True"); // existing env kept, in place
  });

  it("Airflow 2 (command_as_list args, 2.x image and label): [secrets] backend instead of [workers]", () => {
    const { patched } = injectAndCheck(annotate(af2WorkerPod(), INJECT_CONN), "airflow", settings);
    const env = envOf(containerNamed(patched, "base"));
    expect(env["AIRFLOW__SECRETS__BACKEND"]).toBe("airflow.secrets.local_filesystem.LocalFilesystemBackend");
    expect(JSON.parse(env["AIRFLOW__SECRETS__BACKEND_KWARGS"] ?? "")).toEqual({
      connections_file_path: "/var/run/secrets/airflow-vault/airflow/connections.json",
    });
    expect(env["AIRFLOW__WORKERS__SECRETS_BACKEND"]).toBeUndefined();
  });

  it("the official chart's pod-template-file (rendered with chart defaults + airflowPodAnnotations)", () => {
    const template = helmChartPodTemplate();
    const { patched } = injectAndCheck(template, "airflow", settings);
    const base = containerNamed(patched, "base");
    expect((base["volumeMounts"] as Obj[]).map((m) => m["name"])).toEqual(["logs", "config", "avi-credentials"]);
    // envFrom: [] and the chart's env stay untouched; our variables are appended.
    expect(base["envFrom"]).toEqual([]);
    expect(Object.keys(envOf(base)).slice(0, 4)).toEqual(["AIRFLOW__CORE__EXECUTOR", "AIRFLOW__CORE__FERNET_KEY", "AIRFLOW_HOME", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]);
  });

  it.each([
    ["provider-kubernetes_executor_templates-basic_template.yaml", "airflow"],
    ["provider-pod_template_file_examples-dags_in_image_template.yaml", "airflow"],
  ])("provider pod template %s", (file, namespace) => {
    const pod = annotate(yamlFixture("airflow", file));
    const { patched, config } = injectAndCheck(pod, namespace, settings);
    expect(config.fileMode).toBe(0o440); // fsGroup 50000
    expect(envOf(containerNamed(patched, "base"))["AWS_REGION"]).toBe("us-east-1");
  });
});

describe("KubernetesPodOperator pods", () => {
  it("the pod Airflow's KPO integration test expects (empty lists everywhere)", () => {
    const pod = annotate(kpoPod());
    const { decision } = injectAndCheck(pod, "default", settings);
    // Existing empty arrays are appended to, never re-created (a second whole-array add would replace the first).
    const paths = decision.patch.map((op) => op.path);
    expect(paths).toContain("/spec/volumes/-");
    expect(paths).toContain("/spec/initContainers/-");
    expect(paths).not.toContain("/spec/volumes");
    expect(paths).not.toContain("/spec/initContainers");
  });

  it("with the XCom sidecar: base gets credentials, airflow-xcom-sidecar does not", () => {
    const { patched } = injectAndCheck(annotate(kpoPodWithXcomSidecar()), "default", settings);
    expect(envOf(containerNamed(patched, "base"))["AWS_CONFIG_FILE"]).toBeDefined();
    const xcom = containerNamed(patched, "airflow-xcom-sidecar");
    expect(xcom["env"]).toBeUndefined();
    expect((xcom["volumeMounts"] as Obj[]).map((m) => m["name"])).toEqual(["xcom"]);
  });

  it("naming the XCom sidecar in airflow-vault.io/containers selects it", () => {
    const pod = annotate(kpoPodWithXcomSidecar(), { ...INJECT_CONN, "airflow-vault.io/containers": "base,airflow-xcom-sidecar" });
    const { decision } = injectAndCheck(pod, "default", settings);
    expect(decision.plan.targets.map((t) => t.name)).toEqual(["base", "airflow-xcom-sidecar"]);
  });
});

describe("Celery worker (constructed Deployment from the chart's worker-deployment.yaml)", () => {
  it("the pod template: agent after wait-for-airflow-migrations; worker and log groomer get credentials", () => {
    const template = (celeryWorkerDeployment()["spec"] as Obj)["template"] as Obj;
    const { patched } = injectAndCheck(template, "airflow", settings);
    expect(((patched["spec"] as Obj)["initContainers"] as Obj[]).map((c) => c["name"])).toEqual(["wait-for-airflow-migrations", "avi-agent"]);
    expect(envOf(containerNamed(patched, "worker-log-groomer"))["AWS_CONFIG_FILE"]).toBeDefined();
  });
});

describe("Kubernetes fixtures", () => {
  it("ReplicaSet-created pod (generateName, kube-api-access, two init containers, managedFields)", () => {
    const review = replicaSetPodReview();
    const pod = annotate((review["request"] as Obj)["object"] as Obj, { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl" });
    const namespace = String((review["request"] as Obj)["namespace"]); // test-gpqsgu-1 matches "test-*"
    const { patched, decision } = injectAndCheck(pod, namespace, settings);
    expect(decision.plan.serviceAccount).toBe("default");
    expect((patched["metadata"] as Obj)["name"]).toBeUndefined();
    // The existing API-token mounts of app containers are left alone; the agent has the empty mask instead.
    const agentMounts = (containerNamed(patched, "avi-agent")["volumeMounts"] as Obj[]).map((m) => `${String(m["name"])}:${String(m["mountPath"])}`);
    expect(agentMounts).toContain("avi-no-api-token:/var/run/secrets/kubernetes.io/serviceaccount");
    expect((patched["metadata"] as Obj)["managedFields"]).toEqual((pod["metadata"] as Obj)["managedFields"]);
  });

  it.each(["no_privileged_containers.json", "privileged_init_container.json"] as const)("kubewarden captured request %s", (file) => {
    const request = kubewardenReview(file)["request"] as Obj;
    const pod = annotate(request["object"] as Obj);
    const { patched } = injectAndCheck(pod, "default", settings);
    expect(((patched["spec"] as Obj)["initContainers"] as Obj[]).at(-1)?.["name"]).toBe("avi-agent");
  });

  it("exotic pod with every field set (k8s api testdata): no crash, unknown-to-us fields preserved", () => {
    const exotic = jsonFixture("k8s", "k8s-api-testdata", "core.v1.Pod.json");
    // Its only container is named "nameValue" (not a DNS label) and its values are fuzz: not schema-valid.
    // It sets hostNetwork: true, which rules out the sidecar's loopback endpoint: init mode.
    const settingsFor = parseSettings({ ...TEST_SETTINGS, profiles: { "minio-etl": { path: "aws/sts/x", format: "aws" } } });
    expect(admit({ object: annotate(exotic), namespace: "namespaceValue", settings: settingsFor })).toMatchObject({
      kind: "deny",
      message: expect.stringMatching(/sidecar mode needs the pod's own network, but the pod sets hostNetwork: true/) as unknown,
    });
    const pod = annotate(exotic, { ...INJECT, "airflow-vault.io/mode": "init" });
    const { patched } = injectAndCheck(pod, "namespaceValue", settingsFor, { schemaValid: false });
    const spec = patched["spec"] as Obj;
    for (const key of ["evictionResponders", "schedulingGroup", "resourceClaims", "hostnameOverride", "ephemeralContainers"]) {
      expect(spec[key]).toEqual((exotic["spec"] as Obj)[key]);
    }
  });

  it("apiserver exemplar pod (stored, with status): injected the same way", () => {
    const pod = annotate(yamlFixture("k8s", "apiserver", "exemplar_pod.yaml"));
    injectAndCheck(pod, "test-gpqsgu-1", settings);
  });

  it.each(["deployment-sidecar.yaml", "job-sidecar.yaml"])("website native-sidecar example %s: agent after the existing sidecar", (file) => {
    const [workload] = multiDocument("k8s", "website", file);
    const template = annotate(((workload as Obj)["spec"] as Obj)["template"] as Obj);
    const { patched } = injectAndCheck(template, "default", settings);
    expect(((patched["spec"] as Obj)["initContainers"] as Obj[]).map((c) => [c["name"], c["restartPolicy"]])).toEqual([
      ["logshipper", "Always"],
      ["avi-agent", "Always"],
    ]);
  });
});

describe("Pod Security restricted (official conformance pods)", () => {
  const dir = fixturePath("k8s", "psa-restricted");
  const files = readdirSync(dir).filter((f) => f.endsWith(".yaml"));

  it.each(files.filter((f) => f.startsWith("pass_")))("%s still passes after injection", (file) => {
    const pod = annotate(yamlFixture("k8s", "psa-restricted", file));
    expect(restrictedViolations(pod)).toEqual([]);
    const { patched } = injectAndCheck(pod, "default", settings);
    expect(restrictedViolations(patched)).toEqual([]);
  });

  it.each(files.filter((f) => f.startsWith("fail_")))("%s: the checker flags the original, injection adds no violation", (file) => {
    const pod = annotate(yamlFixture("k8s", "psa-restricted", file));
    const before = restrictedViolations(pod);
    expect(before.length).toBeGreaterThan(0);
    const { patched } = injectAndCheck(pod, "default", settings);
    const after = restrictedViolations(patched).filter((v) => !v.detail.includes('"avi-agent"'));
    expect(restrictedViolations(patched, { containers: ["avi-agent"], volumes: INJECTED_VOLUMES })).toEqual([]);
    expect(after.map((v) => v.check).sort()).toEqual(before.map((v) => v.check).sort());
  });
});
