/**
 * The kubelet simulator's pure parts: env and `$(VAR)` expansion (Kubernetes' expansion rules), the
 * mount planner, path rewriting for the no-namespace fallback, and the AtomicWriter layout.
 */
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeAtomically } from "../../../sim/kubelet/atomic-writer.js";
import { ContainerConfigError, containerEnv, expand, expandCommand } from "../../../sim/kubelet/env.js";
import { planMounts, rewritePaths, type HostKind } from "../../../sim/kubelet/mount-plan.js";
import { parsePod } from "../../../sim/kubelet/pod-spec.js";
import { homeOf, withRuntimeHome } from "../../../sim/kubelet/runtime-home.js";

const facts = { uid: "uid-1", nodeName: "node-a", podIP: "127.0.0.1", hostIP: "127.0.0.1" };

describe("env", () => {
  it("expands $(VAR) like Kubernetes: defined → value, undefined kept, $$ → $", () => {
    const vars: Record<string, string> = { A: "x" };
    expect(expand("$(A)-$(B)-$$(A)-$-$(", (n) => vars[n])).toBe("x-$(B)-$(A)-$-$(");
  });

  it("resolves fieldRefs, refers to earlier variables only, and expands command/args against the declared env", () => {
    const pod = parsePod({
      metadata: { name: "p", namespace: "ns", labels: { app: "a" }, annotations: { dag_id: "etl" } },
      spec: {
        restartPolicy: "Never",
        serviceAccountName: "sa",
        containers: [
          {
            name: "c",
            image: "i",
            command: ["echo", "$(NAME)", "$(HOME)"],
            args: ["$(LATER)"],
            env: [
              { name: "NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
              { name: "EARLY", value: "$(LATER)/$(NAME)" },
              { name: "LATER", value: "l" },
              { name: "UID", valueFrom: { fieldRef: { fieldPath: "metadata.uid" } } },
              { name: "LABEL", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
              { name: "DAG", valueFrom: { fieldRef: { fieldPath: "metadata.annotations['dag_id']" } } },
              { name: "SA", valueFrom: { fieldRef: { fieldPath: "spec.serviceAccountName" } } },
              { name: "IP", valueFrom: { fieldRef: { fieldPath: "status.podIP" } } },
              { name: "PASS", valueFrom: { secretKeyRef: { name: "s", key: "k" } } },
            ],
          },
        ],
      },
    });
    const c = pod.spec.containers[0]!;
    const { env, declared } = containerEnv(pod, c, facts, { secrets: { s: { k: "v" } } }, { PATH: "/bin", HOME: "/root" });
    expect(env).toMatchObject({ PATH: "/bin", HOSTNAME: "p", NAME: "p", EARLY: "$(LATER)/p", UID: "uid-1", LABEL: "a", DAG: "etl", SA: "sa", IP: "127.0.0.1", PASS: "v" });
    // The image's env (HOME) is not in the expansion mapping.
    expect(expandCommand(c, declared)).toEqual({ command: ["echo", "p", "$(HOME)"], args: ["l"] });
    expect(() => containerEnv(pod, c, facts, {}, {})).toThrow(ContainerConfigError);
  });

  it("rejects pods it cannot run to completion with a clear message", () => {
    expect(() => parsePod({ metadata: { name: "p" }, spec: { containers: [{ name: "c", image: "i" }] } })).toThrow(/restartPolicy Always.*Never/);
  });
});

describe("mount plan", () => {
  // Host: /run/secrets/airflow-vault exists (as on a node where an earlier pod left it); /var/run → /run.
  const host: Record<string, HostKind> = { "/": "dir", "/var": "dir", "/var/run": "symlink", "/run": "dir", "/run/secrets": "dir", "/run/secrets/airflow-vault": "dir", "/opt": "dir" };
  const view = { kind: (p: string): HostKind => host[p] ?? "missing", readlink: () => "/run" };

  it("shadows every directory that needs new entries before binding anything (a later shadow never hides an earlier bind)", () => {
    const steps = planMounts(
      [
        { source: "/v/creds", sourceIsFile: false, target: "/var/run/secrets/airflow-vault", readOnly: false },
        { source: "/v/token", sourceIsFile: false, target: "/var/run/secrets/airflow-vault-agent", readOnly: true },
        { source: "/v/cfg/airflow.cfg", sourceIsFile: true, target: "/opt/airflow/airflow.cfg", readOnly: true },
      ],
      view,
    );
    expect(steps).toEqual([
      { op: "shadow", path: "/opt" },
      { op: "shadow", path: "/run/secrets" },
      { op: "mkdir", path: "/opt/airflow" },
      { op: "touch", path: "/opt/airflow/airflow.cfg" },
      { op: "mkdir", path: "/run/secrets/airflow-vault-agent" },
      { op: "bind", source: "/v/cfg/airflow.cfg", target: "/opt/airflow/airflow.cfg" },
      { op: "bind", source: "/v/creds", target: "/run/secrets/airflow-vault" },
      { op: "bind", source: "/v/token", target: "/run/secrets/airflow-vault-agent" },
      { op: "readonly", target: "/opt/airflow/airflow.cfg" },
      { op: "readonly", target: "/run/secrets/airflow-vault-agent" },
    ]);
  });

  it("creates the mount point of a nested mount inside its parent volume, after that volume is bound", () => {
    const steps = planMounts(
      [
        { source: "/v/inner", sourceIsFile: false, target: "/data/inner", readOnly: false },
        { source: "/v/outer", sourceIsFile: false, target: "/data", readOnly: false },
      ],
      { kind: (p) => (p === "/" ? "dir" : p === "/v/outer" ? "dir" : "missing"), readlink: () => "" },
    );
    expect(steps).toEqual([
      { op: "mkdir", path: "/data" },
      { op: "bind", source: "/v/outer", target: "/data" },
      { op: "mkdir", path: "/data/inner" },
      { op: "bind", source: "/v/inner", target: "/data/inner" },
    ]);
  });

  it("rewrites mount paths only at path boundaries, longest first (fallback mode)", () => {
    const mounts = [
      { source: "/h/creds", sourceIsFile: false, target: "/var/run/secrets/airflow-vault", readOnly: true },
      { source: "/h/token", sourceIsFile: false, target: "/var/run/secrets/airflow-vault-agent", readOnly: true },
    ];
    expect(rewritePaths('{"outputDir":"/var/run/secrets/airflow-vault","tokenFile":"/var/run/secrets/airflow-vault-agent/token"}', mounts)).toBe('{"outputDir":"/h/creds","tokenFile":"/h/token/token"}');
    expect(rewritePaths("/x/var/run/secrets/airflow-vault /var/run/secrets/airflow-vaults", mounts)).toBe("/x/var/run/secrets/airflow-vault /var/run/secrets/airflow-vaults");
  });
});

describe("AtomicWriter", () => {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  it("swaps ..data to a new timestamped generation, keeps visible names as symlinks into it, and removes the old one", () => {
    dir = mkdtempSync(join(tmpdir(), "avi-atomic-"));
    writeAtomically(dir, { token: { content: "one", mode: 0o600 } }, {}, new Date(Date.UTC(2026, 0, 2, 3, 4, 5)));
    const first = readlinkSync(join(dir, "..data"));
    expect(first).toMatch(/^\.\.2026_01_02_03_04_05\./);
    expect(readlinkSync(join(dir, "token"))).toBe("..data/token");
    writeAtomically(dir, { token: { content: "two", mode: 0o600 } });
    expect(readlinkSync(join(dir, "..data"))).not.toBe(first);
    expect(readFileSync(join(dir, "token"), "utf8")).toBe("two");
    expect(readdirSync(dir).sort()).toEqual(["..data", readlinkSync(join(dir, "..data")), "token"].sort());
  });
});

describe("HOME as the runtime sets it (runc libcontainer/env.go prepareEnv)", () => {
  const passwd = "root:x:0:0:root:/root:/bin/bash\nairflow:x:50000:0::/home/airflow:/bin/bash\nairflow2:x:50000:0::/second:/bin/sh\n";
  it("takes the uid's passwd home (first entry), else /", () => {
    expect(homeOf(0, passwd)).toBe("/root");
    expect(homeOf(50000, passwd)).toBe("/home/airflow");
    expect(homeOf(65532, passwd)).toBe("/");
    expect(homeOf(0, "")).toBe("/");
  });
  it("adds HOME only when the env has none or an empty one", () => {
    expect(withRuntimeHome({ PATH: "/bin" }, 65532, passwd)).toEqual({ PATH: "/bin", HOME: "/" });
    expect(withRuntimeHome({ HOME: "" }, 0, passwd)).toEqual({ HOME: "/root" });
    expect(withRuntimeHome({ HOME: "/data" }, 0, passwd)).toEqual({ HOME: "/data" });
  });
});
