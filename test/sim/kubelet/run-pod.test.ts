/**
 * sim/kubelet with tiny scripts as containers (host `sh` and `node`): init order and failure, native
 * sidecars gated by their startupProbe, env, volume mounts, token rotation, reverse-order SIGTERM and
 * SIGKILL after the grace period. Probe periods, the grace period and token rotation run on a fake
 * clock; the processes are real. Each test states the isolation mode it ran in.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createServiceAccountIssuer, reviewToken } from "../../../sim/apiserver/authn/index.js";
import { detectIsolation, HOST_SHELL_IMAGE, runPod, type KubeletOptions, type RunningPod } from "../../../sim/kubelet/index.js";
import { homeOf } from "../../../sim/kubelet/runtime-home.js";
import { FakeTime } from "../../support/fake-time.js";

const mode = detectIsolation().mode;
const pods: RunningPod[] = [];
const logLines: string[] = [];

afterEach(async () => {
  for (const p of pods.splice(0)) await p.remove();
});

function start(pod: Record<string, unknown>, options: Partial<KubeletOptions> = {}): RunningPod {
  const running = runPod(pod, { images: { sh: HOST_SHELL_IMAGE, node: { entrypoint: [process.execPath] } }, log: (l) => logLines.push(l), ...options });
  pods.push(running);
  return running;
}

const sh = (name: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ name, image: "sh", command: ["sh", "-c", script], ...extra });
const podOf = (spec: Record<string, unknown>, metadata: Record<string, unknown> = {}): Record<string, unknown> => ({
  metadata: { name: "t", namespace: "ns", ...metadata },
  spec: { restartPolicy: "Never", volumes: [{ name: "data", emptyDir: {} }], ...spec },
});
const data = { name: "data", mountPath: "/avi-kubelet-test/data" };

/** Advance fake time in steps while real processes do their part, until `done()`. */
async function drive(time: FakeTime, done: () => boolean, stepMs = 1000): Promise<void> {
  for (let i = 0; i < 500 && !done(); i++) {
    await time.advance(stepMs);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe(`runPod (isolation: ${mode})`, () => {
  it("runs init containers in order, then main containers; exit codes and phase Succeeded", async () => {
    const pod = start(
      podOf({
        initContainers: [sh("one", "echo one >> /avi-kubelet-test/data/order", { volumeMounts: [data] }), sh("two", "echo two >> /avi-kubelet-test/data/order", { volumeMounts: [data] })],
        containers: [sh("main", "cat /avi-kubelet-test/data/order; exit 0", { volumeMounts: [data] }), { name: "js", image: "node", args: ["-e", "process.exit(0)"] }],
      }),
    );
    const result = await pod.result;
    expect(result.isolation).toBe(mode);
    expect(result.phase).toBe("Succeeded");
    expect(result.logs["main"]).toBe("one\ntwo\n");
    expect(result.containers.map((c) => [c.name, c.kind, c.exitCode])).toEqual([
      ["one", "init", 0],
      ["two", "init", 0],
      ["main", "main", 0],
      ["js", "main", 0],
    ]);
    expect(logLines.some((l) => l.includes(`isolation mode: ${mode.toUpperCase()}`))).toBe(true);
  });

  it("a failing init container fails the pod (restartPolicy Never); later containers never start", async () => {
    const result = await start(podOf({ initContainers: [sh("bad", "echo nope; exit 3")], containers: [sh("main", "exit 0")] })).result;
    expect(result.phase).toBe("Failed");
    expect(result.reason).toBe("InitContainerFailed");
    expect(result.message).toBe("init container bad exited 3");
    expect(result.containers.find((c) => c.name === "main")!.state).toBe("waiting");
    expect(result.logs["bad"]).toBe("nope\n");
  });

  it("a main container's non-zero exit is phase Failed with its code", async () => {
    const result = await start(podOf({ containers: [sh("ok", "exit 0"), sh("bad", "exit 7")] })).result;
    expect(result.phase).toBe("Failed");
    expect(result.containers.find((c) => c.name === "bad")!.exitCode).toBe(7);
  });

  it("gates main containers on a sidecar's startupProbe: fails twice, passes on the third try, one period apart", async () => {
    const time = new FakeTime();
    const counter = "n=$(cat /avi-kubelet-test/data/probes 2>/dev/null || echo 0); n=$((n+1)); echo $n > /avi-kubelet-test/data/probes; [ $n -ge 3 ]";
    const pod = start(
      podOf({
        terminationGracePeriodSeconds: 5,
        initContainers: [
          sh("side", "trap 'exit 0' TERM; while :; do sleep 0.05; done", { restartPolicy: "Always", volumeMounts: [data], startupProbe: { exec: { command: ["sh", "-c", counter] }, periodSeconds: 2, failureThreshold: 5 } }),
        ],
        containers: [sh("main", "cat /avi-kubelet-test/data/probes", { volumeMounts: [data] })],
      }),
      { clock: time },
    );
    const t0 = time.now();
    await drive(time, () => pod.status("side").started);
    const side = pod.status("side");
    expect(side.startupProbeAttempts).toBe(3);
    await drive(time, () => pod.phase() === "Succeeded" || pod.phase() === "Failed");
    const result = await pod.result;
    expect(result.phase).toBe("Succeeded");
    expect(result.logs["main"]).toBe("3\n"); // main started only after the third (passing) probe
    const main = result.containers.find((c) => c.name === "main")!;
    expect(main.startedAt! - t0).toBeGreaterThanOrEqual(4000); // two failed tries, 2 s apart
  });

  it("a sidecar whose startupProbe never passes fails the pod after failureThreshold tries", async () => {
    const time = new FakeTime();
    const pod = start(podOf({ initContainers: [sh("side", "trap 'exit 0' TERM; while :; do sleep 0.05; done", { restartPolicy: "Always", startupProbe: { tcpSocket: { port: 1 }, periodSeconds: 1, failureThreshold: 2 } })], containers: [sh("main", "exit 0")] }), { clock: time });
    await drive(time, () => pod.phase() === "Failed");
    const result = await pod.result;
    expect(result.reason).toBe("SidecarNotStarted");
    expect(result.message).toMatch(/startupProbe failed 2 times: dial tcp 127\.0\.0\.1:1/);
  });

  it("passes env with downward-API fields and $(VAR) expansion to the process", async () => {
    const result = await start(
      podOf(
        {
          serviceAccountName: "worker",
          containers: [
            {
              name: "main",
              image: "sh",
              command: ["sh", "-c"],
              args: ['echo "$(GREETING) $POD_NAME $POD_NS $UID_ $DAG $SA $IP $HOSTNAME"'],
              env: [
                { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                { name: "POD_NS", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                { name: "UID_", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
                { name: "DAG", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['dag_id']" } } },
                { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
                { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
                { name: "GREETING", value: "hi-$(POD_NAME)" },
              ],
            },
          ],
        },
        { uid: "0000-1111", annotations: { dag_id: "etl" } },
      ),
    ).result;
    expect(result.logs["main"]).toBe("hi-t t ns 0000-1111 etl worker 127.0.0.1 t\n");
  });

  it("sets HOME as the runtime does: the uid's passwd entry, else /; the pod's or image's env wins", async () => {
    const echo = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => sh(name, 'echo "HOME=$HOME"', extra);
    const result = await start(
      podOf({
        containers: [
          echo("root"),
          echo("nopasswd", { securityContext: { runAsUser: 54321 } }),
          echo("podenv", { securityContext: { runAsUser: 54321 }, env: [{ name: "HOME", value: "/tmp" }] }),
          echo("imageenv", { image: "withhome" }),
        ],
      }),
      { images: { sh: HOST_SHELL_IMAGE, withhome: { entrypoint: [], env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/srv" } } } },
    ).result;
    expect(result.phase, result.message).toBe("Succeeded");
    expect(result.logs).toEqual({ root: `HOME=${homeOf(0, readFileSync("/etc/passwd", "utf8"))}\n`, nopasswd: "HOME=/\n", podenv: "HOME=/tmp\n", imageenv: "HOME=/srv\n" });
  });

  it.runIf(mode === "mount-namespace")("mount namespace: mounts appear at their mountPath for the container only, readOnly is enforced, runAsUser and fsGroup apply", async () => {
    const pod = start(
      podOf({
        securityContext: { runAsUser: 4321, fsGroup: 2345 },
        volumes: [{ name: "data", emptyDir: { medium: "Memory" } }],
        initContainers: [sh("writer", "echo hello > /avi-kubelet-test/data/f && id -u && id -G", { volumeMounts: [data] })],
        containers: [sh("reader", "cat /avi-kubelet-test/ro/f; touch /avi-kubelet-test/ro/g 2>/dev/null && echo writable || echo read-only", { volumeMounts: [{ name: "data", mountPath: "/avi-kubelet-test/ro", readOnly: true }] })],
      }),
    );
    const result = await pod.result;
    expect(result.phase).toBe("Succeeded");
    expect(result.logs["writer"]).toBe("4321\n0 2345\n");
    expect(result.logs["reader"]).toBe("hello\nread-only\n");
    expect(pod.volumePath("data").startsWith("/dev/shm/")).toBe(true);
    expect(existsSync("/avi-kubelet-test")).toBe(false); // nothing created on the host
  });

  it("path rewrite (the fallback, forced here): mount paths in command and env point at the volume directories", async () => {
    const pod = start(podOf({ containers: [sh("main", "echo x > /avi-kubelet-test/data/f && cat $F", { volumeMounts: [data], env: [{ name: "F", value: "/avi-kubelet-test/data/f" }] })] }), { isolation: "path-rewrite" });
    const result = await pod.result;
    expect(result.isolation).toBe("path-rewrite");
    expect(result.logs["main"]).toBe("x\n");
    expect(readFileSync(join(pod.volumePath("data"), "f"), "utf8")).toBe("x\n");
  });

  it("writes the projected token and rotates it at 80 % of its life: a new JWT, valid at TokenReview, swapped atomically", async () => {
    const time = new FakeTime();
    const issuer = await createServiceAccountIssuer({ clock: time });
    const pod = start(
      podOf({
        serviceAccountName: "worker",
        securityContext: { fsGroup: 0 },
        volumes: [{ name: "tok", projected: { sources: [{ serviceAccountToken: { audience: "vault", expirationSeconds: 600, path: "token" } }] } }],
        containers: [sh("main", "trap 'exit 0' TERM; while :; do sleep 0.05; done")],
      }),
      { clock: time, tokenIssuer: issuer },
    );
    await pod.waitFor("main", (s) => s.state === "running");
    const dir = pod.volumePath("tok");
    const first = readFileSync(join(dir, "token"), "utf8");
    const firstGeneration = readlinkSync(join(dir, "..data"));
    expect(readlinkSync(join(dir, "token"))).toBe("..data/token");
    await time.advance(479_000);
    expect(readFileSync(join(dir, "token"), "utf8")).toBe(first);
    await time.advance(1_000);
    // Signing takes real time (WebCrypto): wait for the new generation.
    await vi.waitFor(() => expect(pod.rotations().length).toBe(2), { timeout: 5000, interval: 10 });
    const second = readFileSync(join(dir, "token"), "utf8");
    expect(second).not.toBe(first);
    expect(readlinkSync(join(dir, "..data"))).not.toBe(firstGeneration);
    expect(existsSync(join(dir, firstGeneration))).toBe(false);
    const review = await reviewToken(issuer, second, ["vault"], time.now());
    expect(review.authenticated).toBe(true);
    expect(review.user?.username).toBe("system:serviceaccount:ns:worker");
    pod.signal("main", "SIGTERM");
    const result = await pod.result;
    expect(result.tokenRotations.map((r) => r.generation)).toEqual([0, 1]);
  });

  it("after the main containers exit, SIGTERMs sidecars in reverse order, each after the later one exited", async () => {
    const term = (n: string): string => `trap 'echo ${n} >> /avi-kubelet-test/data/order; exit 0' TERM; while :; do sleep 0.05; done`;
    const result = await start(
      podOf({
        initContainers: [sh("first", term("first"), { restartPolicy: "Always", volumeMounts: [data] }), sh("second", term("second"), { restartPolicy: "Always", volumeMounts: [data] })],
        containers: [sh("main", "sleep 0.2", { volumeMounts: [data] })],
      }),
      { clock: new FakeTime() },
    ).result;
    expect(result.phase).toBe("Succeeded");
    const [first, second, main] = ["first", "second", "main"].map((n) => result.containers.find((c) => c.name === n)!);
    expect(second!.terminatingAt!).toBeGreaterThanOrEqual(main!.finishedAt!);
    expect(first!.terminatingAt!).toBeGreaterThanOrEqual(second!.finishedAt!);
    expect([first!.exitCode, second!.exitCode, first!.killed, second!.killed]).toEqual([0, 0, undefined, undefined]);
  });

  it("SIGKILLs a sidecar that ignores SIGTERM once terminationGracePeriodSeconds has passed", async () => {
    const time = new FakeTime();
    const pod = start(podOf({ terminationGracePeriodSeconds: 7, initContainers: [sh("stubborn", "trap '' TERM; while :; do sleep 0.05; done", { restartPolicy: "Always" })], containers: [sh("main", "exit 0")] }), { clock: time });
    await pod.waitFor("stubborn", (s) => s.terminatingAt !== undefined);
    await time.advance(6_000);
    await new Promise((r) => setTimeout(r, 100));
    expect(pod.status("stubborn").state).toBe("running");
    await time.advance(1_000);
    const result = await pod.result;
    const stubborn = result.containers.find((c) => c.name === "stubborn")!;
    expect(stubborn).toMatchObject({ killed: true, signal: "SIGKILL", exitCode: 137 });
    expect(result.phase).toBe("Succeeded"); // a sidecar's exit code at shutdown does not decide the phase
  });
});

describe(`RunningPod.remove() while the pod is starting (isolation: ${mode})`, () => {
  it("aborts start-up: the sidecar's group is killed, no later container is spawned, the pod's directories are gone", async () => {
    const time = new FakeTime();
    // The probe target: fails until flipped, so the test decides when start-up could go on.
    let healthy = false;
    const server = createServer((_req, res) => res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    const workDir = mkdtempSync(join(tmpdir(), "avi-kubelet-remove-test-"));
    try {
      const lines: string[] = [];
      const pod = start(
        podOf({
          // The sidecar leaves a grandchild behind in its group, as an agent's helpers would.
          initContainers: [sh("side", "sleep 299.75 & trap 'exit 0' TERM; while :; do sleep 0.05; done", { restartPolicy: "Always", startupProbe: { httpGet: { port, path: "/ready" }, periodSeconds: 1, failureThreshold: 100 } })],
          containers: [sh("main", "sleep 300")],
        }),
        { clock: time, workDir, log: (l) => lines.push(l) },
      );
      await pod.waitFor("side", (s) => s.state === "running");
      await time.advance(1_000);
      await pod.remove();
      expect(readdirSync(workDir)).toEqual([]);
      expect(pod.status("side").state).toBe("terminated");
      // Start-up must not go on: the probe would pass now.
      healthy = true;
      await time.advance(5_000);
      await new Promise((r) => setTimeout(r, 200));
      const result = await pod.result;
      expect(result).toMatchObject({ phase: "Failed", reason: "PodRemoved" });
      expect(pod.status("main").state).toBe("waiting");
      expect(lines.some((l) => l.includes("started main container"))).toBe(false);
      expect(readdirSync(workDir)).toEqual([]);
      // Nothing of the pod's process group survived (the backgrounded `sleep 299.75`).
      expect(execFileSync("ps", ["-eo", "args"], { encoding: "utf8" }).split("\n").filter((l) => l.trim() === "sleep 299.75")).toEqual([]);
    } finally {
      await new Promise((r) => server.close(r));
      rmSync(workDir, { recursive: true, force: true });
    }
  });
});
