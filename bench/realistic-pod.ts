import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parse } from "yaml";
import { REPO_ROOT } from "../test/support/repo.js";
import { kubeApiAccessVolume } from "../sim/apiserver/admission/defaulting.js";

type Obj = Record<string, unknown>;

/**
 * The sample KE worker pod grown to what the API server really sends for an Airflow 3 worker (~10 KB):
 * the chart's standard env, the execute_workload JSON (with its JWT) in args, the ServiceAccount
 * plugin's kube-api-access volume, default tolerations and fields, and the scheduler's managedFields.
 */
export async function realisticPod(): Promise<Obj> {
  const pod = parse(await readFile(join(REPO_ROOT, "examples", "ke-worker-pod.yaml"), "utf8")) as Obj;
  const spec = pod["spec"] as Obj & { containers: Obj[]; volumes: Obj[] };
  const base = spec.containers[0] as Obj;
  const env = base["env"] as Obj[];
  const secretEnv = ["AIRFLOW__CORE__FERNET_KEY", "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", "AIRFLOW_CONN_AIRFLOW_DB", "AIRFLOW__API__SECRET_KEY", "AIRFLOW__API_AUTH__JWT_SECRET", "AIRFLOW__CELERY__BROKER_URL"];
  for (const name of secretEnv) env.push({ name, valueFrom: { secretKeyRef: { name: `airflow-${name.toLowerCase().replace(/_/g, "-")}`, key: "value" } } });
  const plain: [string, string][] = [
    ["AIRFLOW_HOME", "/opt/airflow"],
    ["AIRFLOW__CORE__DAGS_FOLDER", "/opt/airflow/dags/repo/dags"],
    ["AIRFLOW__CORE__EXECUTION_API_SERVER_URL", "http://airflow-api-server.airflow.svc.cluster.local:8080/execution/"],
    ["AIRFLOW__LOGGING__REMOTE_LOGGING", "True"],
    ["AIRFLOW__LOGGING__REMOTE_BASE_LOG_FOLDER", "s3://airflow-logs/prod"],
    ["AIRFLOW__LOGGING__REMOTE_LOG_CONN_ID", "minio_default"],
    ["AIRFLOW__KUBERNETES_EXECUTOR__NAMESPACE", "airflow"],
    ["AIRFLOW__METRICS__STATSD_ON", "True"],
    ["AIRFLOW__METRICS__STATSD_HOST", "airflow-statsd.airflow.svc.cluster.local"],
    ["AIRFLOW__WEBSERVER__BASE_URL", "https://airflow.example.com"],
  ];
  for (const [name, value] of plain) env.push({ name, value });
  const workload = {
    token: `eyJhbGciOiJSUzI1NiIsImtpZCI6ImFpcmZsb3cifQ.${"e".repeat(520)}.${"s".repeat(340)}`,
    ti: { id: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", task_id: "load_s3", dag_id: "etl", run_id: "scheduled__2025-06-01T00:00:00+00:00", try_number: 1, map_index: -1, pool_slots: 1, queue: "default", priority_weight: 1 },
    dag_rel_path: "etl.py",
    bundle_info: { name: "dags-folder", version: null },
    log_path: "dag_id=etl/run_id=scheduled__2025-06-01T00:00:00+00:00/task_id=load_s3/attempt=1.log",
    type: "ExecuteTask",
  };
  base["args"] = ["python", "-m", "airflow.sdk.execution_time.execute_workload", "--json-string", JSON.stringify(workload)];
  const apiMount = { name: "kube-api-access-x7k2p", readOnly: true, mountPath: "/var/run/secrets/kubernetes.io/serviceaccount" };
  (base["volumeMounts"] as Obj[]).push({ name: "dags", mountPath: "/opt/airflow/dags", readOnly: true }, apiMount);
  Object.assign(base, {
    terminationMessagePath: "/dev/termination-log",
    terminationMessagePolicy: "File",
    imagePullPolicy: "IfNotPresent",
    resources: { requests: { cpu: "500m", memory: "1Gi" }, limits: { memory: "2Gi" } },
    securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] } },
  });
  spec.volumes.push(
    { name: "dags", persistentVolumeClaim: { claimName: "airflow-dags" } },
    kubeApiAccessVolume("kube-api-access-x7k2p"),
  );
  // The chart's pod template with git-sync on: an init container that clones the DAG repository.
  spec["initContainers"] = [
    {
      name: "git-sync-init",
      image: "registry.k8s.io/git-sync/git-sync:v4.3.0",
      imagePullPolicy: "IfNotPresent",
      securityContext: { runAsUser: 65533 },
      env: [
        ["GITSYNC_REF", "v2-2-stable"],
        ["GITSYNC_REPO", "https://github.com/example/airflow-dags.git"],
        ["GITSYNC_DEPTH", "1"],
        ["GITSYNC_ROOT", "/git"],
        ["GITSYNC_LINK", "repo"],
        ["GITSYNC_ADD_USER", "true"],
        ["GITSYNC_PERIOD", "5s"],
        ["GITSYNC_MAX_FAILURES", "0"],
        ["GITSYNC_ONE_TIME", "true"],
      ].map(([name, value]) => ({ name, value })),
      resources: {},
      terminationMessagePath: "/dev/termination-log",
      terminationMessagePolicy: "File",
      volumeMounts: [{ name: "dags", mountPath: "/git" }, apiMount],
    },
  ];
  spec["affinity"] = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: "node.kubernetes.io/pool", operator: "In", values: ["airflow-workers", "airflow-workers-spot"] }] }],
      },
    },
    podAntiAffinity: {
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 100, podAffinityTerm: { topologyKey: "kubernetes.io/hostname", labelSelector: { matchLabels: { component: "worker", release: "airflow" } } } },
      ],
    },
  };
  Object.assign(spec, {
    dnsPolicy: "ClusterFirst",
    enableServiceLinks: true,
    priority: 0,
    preemptionPolicy: "PreemptLowerPriority",
    schedulerName: "default-scheduler",
    terminationGracePeriodSeconds: 600,
    tolerations: [
      { key: "node.kubernetes.io/not-ready", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
      { key: "node.kubernetes.io/unreachable", operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 },
    ],
  });
  const keyed = (items: Obj[], key: string): Obj => Object.fromEntries(items.map((i) => [`k:{"${key}":"${String(i[key])}"}`, { ".": {}, [`f:${key}`]: {}, ...(i["value"] !== undefined ? { "f:value": {} } : { "f:valueFrom": {} }) }]));
  const metadata = pod["metadata"] as Obj;
  const flat = (o: unknown): Obj => Object.fromEntries(Object.keys((o as Obj | undefined) ?? {}).map((k) => [`f:${k}`, {}]));
  metadata["managedFields"] = [
    {
      manager: "airflow-scheduler",
      operation: "Update",
      apiVersion: "v1",
      time: "2025-06-01T00:00:03Z",
      fieldsType: "FieldsV1",
      fieldsV1: {
        "f:metadata": { "f:annotations": flat(metadata["annotations"]), "f:labels": flat(metadata["labels"]) },
        "f:spec": {
          "f:containers": { 'k:{"name":"base"}': { ".": {}, "f:args": {}, "f:env": keyed(env, "name"), "f:image": {}, "f:name": {}, "f:resources": {}, "f:volumeMounts": {} } },
          "f:restartPolicy": {},
          "f:securityContext": {},
          "f:serviceAccountName": {},
          "f:volumes": keyed(spec.volumes, "name"),
        },
      },
    },
  ];
  return pod;
}

