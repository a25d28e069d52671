/**
 * Property-based tests (fast-check) over annotation maps and pod shapes: the injector never throws,
 * is deterministic, its patches always apply, and injected pods are never injected twice.
 */
import fc from "fast-check";
import jsonpatch from "fast-json-patch";
import { describe, expect, it } from "vitest";
import { admit } from "../../injector/admit.js";
import { parseSettings } from "../../injector/load-settings.js";
import { applyPodDefaults, serviceAccountPlugin } from "../../sim/apiserver/admission/defaulting.js";
import { validationErrors } from "../../sim/apiserver/admission/pod-validation.js";
import { TEST_SETTINGS } from "../support/webhook-env.js";
import { FORBIDDEN_PATHS, arrayDiscipline } from "../support/injection-checks.js";

const settings = parseSettings({ ...TEST_SETTINGS, injection: { allowAdHocCredentials: true } });
const P = "airflow-vault.io/";

const containerName = fc.oneof({ arbitrary: fc.constantFrom("base", "worker", "airflow-xcom-sidecar", "istio-proxy", "git-sync"), weight: 9 }, { arbitrary: fc.constant("Bad_Name"), weight: 1 });
const maybeList = <T>(item: fc.Arbitrary<T>) => fc.option(fc.array(item, { maxLength: 3 }), { nil: undefined, freq: 3 }).chain((v) => fc.constantFrom(v, null as unknown as T[]));

/** Valid values first (picked more often), then mistakes. */
const values = (valid: string[], invalid: string[]): fc.Arbitrary<string> =>
  fc.oneof({ arbitrary: fc.constantFrom(...valid), weight: 4 }, { arbitrary: fc.constantFrom(...invalid), weight: 1 });

const valueFor: Record<string, fc.Arbitrary<string>> = {
  inject: values(["true", "True"], ["false", "yes", ""]),
  credentials: values(["minio-etl", "archive", "minio-etl,archive"], ["nope", "a,,b", ""]),
  role: values(["etl"], ["two words", ""]),
  "default-credential": values(["minio-etl", "archive"], ["adhoc", "missing"]),
  mode: values(["sidecar", "init"], ["both"]),
  containers: values(["base", "worker", "base,worker"], ["ghost", "git-sync"]),
  "airflow-connections": values(["true", "false"], ["1"]),
  "revoke-on-exit": values(["true", "false"], ["maybe"]),
  status: values(["injected"], ["other"]),
  "credential.adhoc.path": values(["aws/sts/adhoc", "secret/data/x"], ["/v1/bad"]),
  "credential.adhoc.format": values(["aws", "kv"], ["s3"]),
  "credential.adhoc.endpoint": values(["http://minio:9000"], ["minio:9000"]),
  "credential.adhoc.ttl": values(["1h", "90"], ["soon"]),
};

const annotationEntry = fc.oneof(
  { arbitrary: fc.constantFrom(...Object.keys(valueFor)).chain((k) => (valueFor[k] as fc.Arbitrary<string>).map((v) => [`${P}${k}`, v] as const)), weight: 6 },
  { arbitrary: fc.tuple(fc.string({ maxLength: 12 }).map((k) => `${P}${k}`), fc.string({ maxLength: 8 })), weight: 1 },
  {
    arbitrary: fc.tuple(fc.constantFrom("dag_id", "run_id", "sidecar.istio.io/inject", "traffic.sidecar.istio.io/excludeOutboundPorts"), fc.string({ maxLength: 20 })),
    weight: 3,
  },
);

const annotations = fc
  .array(annotationEntry, { maxLength: 5 })
  .map((entries) => Object.fromEntries(entries))
  .chain((a) =>
    fc.oneof(
      { arbitrary: fc.constant({ ...a, [`${P}inject`]: "true", [`${P}credentials`]: a[`${P}credentials`] ?? "minio-etl" }), weight: 4 },
      { arbitrary: fc.constant(a), weight: 1 },
    ),
  );

const container = fc.record(
  {
    name: containerName,
    image: fc.constantFrom("apache/airflow:2.9.0", "apache/airflow:3.1.0", "alpine"),
    env: maybeList(fc.record({ name: fc.constantFrom("AWS_REGION", "AWS_ACCESS_KEY_ID", "AIRFLOW__SECRETS__BACKEND", "X"), value: fc.constant("v") })),
    volumeMounts: maybeList(fc.record({ name: fc.constantFrom("logs", "avi-credentials"), mountPath: fc.constantFrom("/opt/airflow/logs", "/opt/airflow/logs", "/var/run/secrets/airflow-vault", "/x") })),
  },
  { requiredKeys: ["name"] },
);

const pod = fc.record(
  {
    metadata: fc.record({ generateName: fc.constant("etl-"), annotations }),
    spec: fc.record(
      {
        containers: fc.array(container, { minLength: 1, maxLength: 3 }),
        initContainers: maybeList(container),
        volumes: maybeList(fc.record({ name: fc.constantFrom("logs", "config", "data", "avi-token"), emptyDir: fc.constant({}) })),
        serviceAccountName: fc.constantFrom("airflow-worker", "default", "other"),
        automountServiceAccountToken: fc.boolean(),
        securityContext: fc.option(fc.record({ fsGroup: fc.constantFrom(0, 50000), runAsUser: fc.constantFrom(50000, 65532) }, { requiredKeys: [] }), { nil: undefined }),
      },
      { requiredKeys: ["containers"] },
    ),
  },
  { requiredKeys: ["metadata", "spec"] },
);

const namespace = fc.oneof({ arbitrary: fc.constant("airflow"), weight: 6 }, { arbitrary: fc.constantFrom("default", "payments", "kube-system"), weight: 2 });

describe("injector properties", () => {
  it("never throws, is deterministic, and every patch applies and is idempotent", () => {
    const kinds = { inject: 0, deny: 0, skip: 0 };
    fc.assert(
      fc.property(pod, namespace, (object, ns) => {
        const input = structuredClone(object);
        const first = admit({ object, namespace: ns, settings });
        expect(object).toEqual(input); // the input is never mutated
        expect(admit({ object: structuredClone(object), namespace: ns, settings })).toEqual(first);
        for (const w of first.warnings) expect(w.length).toBeLessThanOrEqual(120);
        if (first.kind === "deny") expect(first.message.length).toBeGreaterThan(10);
        kinds[first.kind]++;
        if (first.kind !== "inject") return;

        const ops = first.patch as jsonpatch.Operation[];
        expect(arrayDiscipline(first.patch)).toEqual([]);
        for (const op of ops) expect(FORBIDDEN_PATHS.some((p) => op.path.startsWith(p))).toBe(false);
        expect(jsonpatch.validate(ops, object)).toBeUndefined();
        const patched = jsonpatch.applyPatch(object, ops, true, false).newDocument as Record<string, unknown>;
        const before = new Set(validationErrors(object));
        expect(validationErrors(patched).filter((e) => !before.has(e))).toEqual([]);
        applyPodDefaults(patched);
        serviceAccountPlugin(patched);
        expect(admit({ object: patched, namespace: ns, settings }).kind).toBe("skip");
      }),
      { numRuns: 400 },
    );
    // The generators must reach every outcome often enough for the properties to mean something.
    expect(kinds.inject).toBeGreaterThan(40);
    expect(kinds.deny).toBeGreaterThan(100);
    expect(kinds.skip).toBeGreaterThan(40);
  });

  it("the patch's JSON text is always the bytes of JSON.stringify(patch)", () => {
    fc.assert(
      fc.property(pod, namespace, (object, ns) => {
        const decision = admit({ object, namespace: ns, settings });
        if (decision.kind === "inject") expect(decision.patchJson).toBe(JSON.stringify(decision.patch));
      }),
      { numRuns: 400 },
    );
  });

  it("any annotation under the prefix that is not in the API is a denial naming it", () => {
    const unknownKey = fc.stringMatching(/^[a-z][a-z.-]{0,15}$/).filter((k) => !(k in valueFor) && !k.startsWith("credential."));
    fc.assert(
      fc.property(unknownKey, (key) => {
        const d = admit({
          object: { metadata: { annotations: { [`${P}inject`]: "true", [`${P}credentials`]: "minio-etl", [`${P}${key}`]: "x" } }, spec: { containers: [{ name: "base" }] } },
          namespace: "airflow",
          settings,
        });
        expect(d.kind).toBe("deny");
        expect(d.kind === "deny" && d.message.includes(`${P}${key}`)).toBe(true);
      }),
    );
  });
});
