/**
 * sim/pipeline: removing a pod deletes its object from the API server simulator, as a real API server
 * does — a pod of the same name/namespace can run again (new UID), and the removed pod's bound token no
 * longer passes TokenReview ("service account token has been invalidated"), so Vault login is refused. Needs
 * `npm run build` (the pipeline starts dist/avi.js webhook).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reviewToken } from "../../../sim/apiserver/authn/index.js";
import { HOST_SHELL_IMAGE } from "../../../sim/kubelet/index.js";
import { startPodPipeline, type PodPipeline } from "../../../sim/pipeline/index.js";

let pipeline: PodPipeline;

beforeAll(async () => {
  pipeline = await startPodPipeline({ profiles: { unused: { path: "kv/unused", format: "kv" } } });
  await pipeline.vaultApi("POST", "auth/kubernetes/role/worker", { bound_service_account_names: "worker", bound_service_account_namespaces: "airflow", audience: "vault", token_ttl: "1h" });
}, 60_000);

afterAll(async () => {
  await pipeline?.stop();
});

const pod = {
  metadata: { name: "rerun", namespace: "airflow" },
  spec: {
    restartPolicy: "Never",
    serviceAccountName: "worker",
    volumes: [{ name: "tok", projected: { sources: [{ serviceAccountToken: { audience: "vault", expirationSeconds: 3600, path: "token" } }] } }],
    containers: [{ name: "main", image: "alpine", command: ["sh", "-c", "exit 0"] }],
  },
};

const login = (jwt: string): Promise<unknown> => pipeline.vaultApi("POST", "auth/kubernetes/login", { role: "worker", jwt });

/** Run the pod to completion, log in to Vault with its token while it exists, remove it. */
async function runAndLogIn(): Promise<{ uid: string; token: string }> {
  const running = pipeline.run(pod, { images: { alpine: HOST_SHELL_IMAGE }, log: () => undefined });
  try {
    const result = await running.result;
    expect(result.phase, result.message).toBe("Succeeded");
    expect(pipeline.auth.issuer.cluster.pod("airflow", "rerun")?.uid).toBe(running.uid);
    const token = readFileSync(join(running.volumePath("tok"), "token"), "utf8");
    const auth = (await login(token)) as { auth: { metadata: Record<string, string> } };
    expect(auth.auth.metadata["service_account_name"]).toBe("worker");
    return { uid: running.uid, token };
  } finally {
    await running.remove();
  }
}

describe("sim/pipeline: remove() deletes the pod object", () => {
  it("a second pod with the same name runs and logs in; the first pod's token no longer passes TokenReview", async () => {
    const first = await runAndLogIn();
    expect(pipeline.auth.issuer.cluster.pod("airflow", "rerun")).toBeUndefined();
    const review = await reviewToken(pipeline.auth.issuer, first.token, ["vault"], pipeline.vault.clock.now());
    expect(review).toMatchObject({ authenticated: false, error: "[invalid bearer token, service account token has been invalidated]" });
    // Vault's plugin turns any TokenReview failure into 403 permission denied.
    await expect(login(first.token)).rejects.toThrow(/403 .*permission denied/);

    const second = await runAndLogIn();
    expect(second.uid).not.toBe(first.uid);
    expect(pipeline.auth.issuer.cluster.pod("airflow", "rerun")).toBeUndefined();
  }, 60_000);
});
