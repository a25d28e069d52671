/**
 * The real-world pods of test/fixtures, loaded as plain objects, plus the two shapes the copied
 * fixtures lack as full pods (an Airflow 2 worker pod and a Celery worker Deployment), constructed
 * from the upstream sources test/fixtures/SOURCES.md names and marked as such.
 */
import { parse, parseAllDocuments } from "yaml";
import { readFixture } from "./repo.js";
import { renderHelmTemplate } from "./helm-template.js";

export type Obj = Record<string, unknown>;

export const INJECT = { "airflow-vault.io/inject": "true", "airflow-vault.io/credentials": "minio-etl" } as const;

export function yamlFixture(...path: string[]): Obj {
  return parse(readFixture(...path)) as Obj;
}

export function jsonFixture(...path: string[]): Obj {
  return JSON.parse(readFixture(...path)) as Obj;
}

/** Adds annotations to a pod or template (creating metadata/annotations as needed). */
export function annotate(pod: Obj, annotations: Readonly<Record<string, string>> = INJECT): Obj {
  const copy = structuredClone(pod);
  const metadata = (copy["metadata"] ??= {}) as Obj;
  metadata["annotations"] = { ...((metadata["annotations"]) ?? {}), ...annotations };
  return copy;
}

export function af3WorkerPod(): Obj {
  return yamlFixture("airflow", "synthesized", "ke-worker-pod-airflow3-as-created.yaml");
}

/**
 * Airflow 2 KE worker: the AF3 pod with the Airflow 2 `base` args fixture (command_as_list) and an
 * Airflow 2 image/label — the two things that differ between the versions' worker pods (apache/airflow cncf.kubernetes `pod_generator.py`).
 */
export function af2WorkerPod(): Obj {
  const pod = af3WorkerPod();
  const args = (parse(readFixture("airflow", "synthesized", "ke-worker-pod-airflow2-args.yaml")) as { containers: Obj[] }).containers[0]?.["args"];
  const spec = pod["spec"] as { containers: Obj[] };
  const base = spec.containers[0] as Obj;
  base["args"] = args;
  base["image"] = "apache/airflow:2.10.5";
  ((pod["metadata"] as Obj)["labels"] as Obj)["airflow_version"] = "2.10.5";
  return pod;
}

/** The chart's pod-template-file rendered with the chart's defaults plus `airflowPodAnnotations`. */
export function helmChartPodTemplate(annotations: Readonly<Record<string, string>> = INJECT): Obj {
  const annotationYaml = Object.entries(annotations)
    .map(([k, v]) => `${k}: ${JSON.stringify(v)}`)
    .join("\n");
  const rendered = renderHelmTemplate(readFixture("airflow", "helm-chart-pod-template-file.kubernetes-helm-yaml"), {
    trueConditions: new Set(["or .Values.airflowPodAnnotations .Values.workers.podAnnotations", ".Values.airflowPodAnnotations"]),
    expressions: {
      ".Release.Name": "airflow",
      "toYaml .Values.airflowPodAnnotations": annotationYaml,
      'include "custom_airflow_environment_from" .': "",
      'include "standard_airflow_environment" .': [
        "",
        "# Hard Coded Airflow Envs",
        "- name: AIRFLOW__CORE__FERNET_KEY",
        "  valueFrom:",
        "    secretKeyRef:",
        "      name: airflow-fernet-key",
        "      key: fernet-key",
        "- name: AIRFLOW_HOME",
        "  value: /opt/airflow",
        "- name: AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
        "  valueFrom:",
        "    secretKeyRef:",
        "      name: airflow-metadata",
        "      key: connection",
      ]
        .map((line) => (line === "" ? "" : `  ${line}`)) // the chart's define indents its items by two
        .join("\n"),
      'include "custom_airflow_environment" .': "",
      'include "container_extra_envs" (list . .Values.workers.env)': "",
      'template "pod_template_image" .': "apache/airflow:3.1.0",
      ".Values.images.pod_template.pullPolicy": "IfNotPresent",
      $containerSecurityContext: "allowPrivilegeEscalation: false\ncapabilities:\n  drop:\n  - ALL",
      "toYaml .Values.workers.resources": "{}",
      'template "airflow_logs" .': "/opt/airflow/logs",
      'include "airflow_config_mount" .': "- name: config\n  mountPath: /opt/airflow/airflow.cfg\n  subPath: airflow.cfg\n  readOnly: true",
      $securityContext: "runAsUser: 50000\nfsGroup: 0",
      "toYaml $nodeSelector": "{}",
      "toYaml $affinity": "{}",
      ".Values.workers.terminationGracePeriodSeconds": "600",
      "toYaml $tolerations": "[]",
      "toYaml $topologySpreadConstraints": "[]",
      'include "worker.serviceAccountName" .': "airflow-worker",
      'include "airflow_config" .': "airflow-config",
    },
  });
  const docs = parseAllDocuments(rendered);
  const pod = (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as unknown).find((d) => d !== null);
  return pod as Obj;
}

/** The pod KubernetesPodOperator creates (Airflow's own integration-test expectation), `<ANY>` filled in. */
export function kpoPod(): Obj {
  const pod = jsonFixture("airflow", "kpo-expected-pod-from-kubernetes-tests.json");
  delete pod["_origin"];
  const metadata = pod["metadata"] as Obj;
  metadata["name"] = "dag-task-k8s-pod-3x7q2b1c";
  const labels = metadata["labels"] as Obj;
  labels["task_id"] = "task";
  labels["test_label"] = "test";
  labels["airflow_version"] = "3.1.0";
  return pod;
}

/**
 * KPO with `do_xcom_push=True`: xcom emptyDir at /airflow/xcom mounted first in `base`, and the
 * `airflow-xcom-sidecar` container (cncf.kubernetes provider `utils/xcom_sidecar.py` @167d5fd0).
 */
export function kpoPodWithXcomSidecar(): Obj {
  const pod = kpoPod();
  const spec = pod["spec"] as { containers: Obj[]; volumes: Obj[] };
  spec.volumes.push({ name: "xcom", emptyDir: {} });
  const base = spec.containers[0] as Obj;
  (base["volumeMounts"] as Obj[]).unshift({ name: "xcom", mountPath: "/airflow/xcom" });
  spec.containers.push({
    name: "airflow-xcom-sidecar",
    image: "alpine",
    command: ["sh", "-c", 'trap "exit 0" INT; while true; do sleep 1; done;'],
    volumeMounts: [{ name: "xcom", mountPath: "/airflow/xcom" }],
    resources: { requests: { cpu: "1m", memory: "10Mi" } },
  });
  return pod;
}

/**
 * CONSTRUCTED (no Celery fixture in test/fixtures): the Celery worker Deployment of the official chart
 * (apache/airflow `chart/templates/workers/worker-deployment.yaml` @001394a9): main container
 * `worker`, init `wait-for-airflow-migrations`, sidecar `worker-log-groomer`, restartPolicy Always.
 */
export function celeryWorkerDeployment(annotations: Readonly<Record<string, string>> = INJECT): Obj {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "airflow-worker", namespace: "airflow", labels: { tier: "airflow", component: "worker", release: "airflow" } },
    spec: {
      replicas: 1,
      selector: { matchLabels: { tier: "airflow", component: "worker", release: "airflow" } },
      template: {
        metadata: {
          labels: { tier: "airflow", component: "worker", release: "airflow" },
          annotations: { "checksum/airflow-config": "0f1e2d", "cluster-autoscaler.kubernetes.io/safe-to-evict": "false", ...annotations },
        },
        spec: {
          restartPolicy: "Always",
          serviceAccountName: "airflow-worker",
          securityContext: { runAsUser: 50000, fsGroup: 0 },
          initContainers: [
            { name: "wait-for-airflow-migrations", image: "apache/airflow:3.1.0", args: ["airflow", "db", "check-migrations", "--migration-wait-timeout=60"] },
          ],
          containers: [
            {
              name: "worker",
              image: "apache/airflow:3.1.0",
              args: ["bash", "-c", "exec airflow celery worker"],
              env: [{ name: "AIRFLOW__CORE__EXECUTOR", value: "CeleryExecutor" }],
              volumeMounts: [{ name: "logs", mountPath: "/opt/airflow/logs" }],
            },
            {
              name: "worker-log-groomer",
              image: "apache/airflow:3.1.0",
              args: ["bash", "/clean-logs"],
              volumeMounts: [{ name: "logs", mountPath: "/opt/airflow/logs" }],
            },
          ],
          volumes: [{ name: "logs", emptyDir: {} }],
        },
      },
    },
  };
}

/** The `object` of the constructed ReplicaSet-controller AdmissionReview (generateName, kube-api-access, tolerations). */
export function replicaSetPodReview(): Obj {
  return jsonFixture("k8s", "constructed", "admissionreview-v1-pod-create-replicaset.json");
}

/** A kubewarden captured AdmissionRequest, wrapped in an AdmissionReview as its SOURCES.md says. */
export function kubewardenReview(file: "no_privileged_containers.json" | "privileged_init_container.json"): Obj {
  return { apiVersion: "admission.k8s.io/v1", kind: "AdmissionReview", request: jsonFixture("k8s", "kubewarden", file) };
}

/** Istio's "no initContainers/containers/volumes" input wrapped in a Pod, plus one bare container. */
export function istioBarePod(): Obj {
  const input = yamlFixture("k8s", "istio", "TestWebhookInject_no_initContainers_continers_volumes.yaml");
  const spec = input["spec"] as Obj;
  spec["containers"] = [{ name: "app", image: "registry.example/app:1.0" }];
  return { apiVersion: "v1", kind: "Pod", metadata: { name: "bare" }, spec };
}

export function multiDocument(...path: string[]): Obj[] {
  const docs = parseAllDocuments(readFixture(...path));
  return (Array.isArray(docs) ? docs : [docs]).map((d) => d.toJS() as Obj).filter((d) => d !== null);
}
