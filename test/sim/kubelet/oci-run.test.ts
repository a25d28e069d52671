/**
 * sim/kubelet/oci-run.ts: the `podman run` arguments a kubelet's container would get from the pod spec.
 */
import { describe, expect, it } from "vitest";
import { memoryBytes, ociRunArgs, podmanProcessEnv, QuantityError } from "../../../sim/kubelet/oci-run.js";
import { parsePod } from "../../../sim/kubelet/pod-spec.js";

const pod = parsePod({
  metadata: { name: "w", namespace: "airflow", uid: "u-1" },
  spec: {
    restartPolicy: "Never",
    securityContext: { runAsUser: 50000, fsGroup: 0, supplementalGroups: [7] },
    initContainers: [
      {
        name: "avi-agent",
        image: "avi:1",
        restartPolicy: "Always",
        resources: { limits: { memory: "64Mi" } },
        securityContext: { runAsUser: 65532, runAsGroup: 65532, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, seccompProfile: { type: "RuntimeDefault" } },
      },
    ],
    containers: [{ name: "base", image: "airflow:1", securityContext: { seccompProfile: { type: "Unconfined" } } }],
  },
});
const agent = pod.spec.initContainers![0]!;
const base = pod.spec.containers[0]!;
const input = { pod, image: "sha256:abc", argv: ["/nodejs/bin/node", "/app/dist/avi.js", "agent"], env: { PATH: "/nodejs/bin", AVI_SECRET: "s3cr3t" }, workingDir: "/app", mounts: [{ source: "/dev/shm/x", sourceIsFile: false, target: "/var/run/secrets/airflow-vault", readOnly: false }], cidfile: "/tmp/cid" };

describe("ociRunArgs", () => {
  const args = ociRunArgs({ ...input, container: agent, identity: { uid: 65532, gid: 65532, groups: [0, 7] } });
  const pairs = (flag: string): string[] => args.flatMap((a, i) => (a === flag ? [args[i + 1]!] : []));

  it("maps the securityContext: user, fsGroup/supplementalGroups, read-only root without podman's tmpfs, caps, no-new-privileges", () => {
    expect(pairs("--user")).toEqual(["65532:65532"]);
    expect(pairs("--group-add")).toEqual(["0", "7"]);
    expect(args).toContain("--read-only");
    expect(args).toContain("--read-only-tmpfs=false");
    expect(pairs("--cap-drop")).toEqual(["all"]);
    expect(pairs("--security-opt")).toEqual(["no-new-privileges"]);
  });

  it("sets the memory limit with swap equal, host network, the volume, the CRI labels", () => {
    expect(pairs("--memory")).toEqual([String(64 * 1024 * 1024)]);
    expect(pairs("--memory-swap")).toEqual([String(64 * 1024 * 1024)]);
    expect(args).toContain("--network=host");
    expect(pairs("--volume")).toEqual(["/dev/shm/x:/var/run/secrets/airflow-vault:rw"]);
    expect(pairs("--label")).toEqual(expect.arrayContaining(["io.kubernetes.pod.uid=u-1", "io.kubernetes.container.name=avi-agent"]));
  });

  it("puts env names, never secret values, on the command line; the command after the image", () => {
    expect(pairs("--env")).toEqual(["PATH=/nodejs/bin", "AVI_SECRET"]);
    expect(args.join(" ")).not.toContain("s3cr3t");
    expect(pairs("--entrypoint")).toEqual(['["/nodejs/bin/node"]']);
    expect(args.slice(-3)).toEqual(["sha256:abc", "/app/dist/avi.js", "agent"]);
    expect(podmanProcessEnv(input.env, "/usr/bin")).toEqual({ AVI_SECRET: "s3cr3t", PATH: "/usr/bin", HOME: "/root" });
  });

  it("without readOnlyRootFilesystem the root stays writable; Unconfined seccomp is passed on", () => {
    const plain = ociRunArgs({ ...input, container: base, identity: { uid: 50000, gid: 0, groups: [0] } });
    expect(plain).not.toContain("--read-only");
    expect(plain).toContain("seccomp=unconfined");
    expect(plain).not.toContain("--memory");
  });
});

describe("memoryBytes", () => {
  it("reads Kubernetes quantities", () => {
    expect(memoryBytes("64Mi")).toBe(67108864);
    expect(memoryBytes("128M")).toBe(128e6);
    expect(memoryBytes("1Gi")).toBe(1024 ** 3);
    expect(memoryBytes(1000)).toBe(1000);
    expect(memoryBytes("1e3")).toBe(1000);
  });
  it("rejects what is not a quantity, naming it", () => {
    expect(() => memoryBytes("64 megs")).toThrow(QuantityError);
    expect(() => memoryBytes("-1Mi")).toThrow(/not a Kubernetes quantity/);
  });
});
