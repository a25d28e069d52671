/**
 * Audit context on every Vault request (header names documented in docs/agent.md for
 * `sys/config/auditing/request-headers`) and the projected service-account token: read fresh, watched
 * through the kubelet's `..data` symlink swap (as Vault Agent re-reads it: `command/agentproxyshared/auth/kubernetes/kubernetes.go`).
 */
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import { auditHeaders, auditLogFields, headerSafe } from "../../agent/audit-context.js";
import { readServiceAccountToken, watchServiceAccountToken, type DirectoryWatcher, type TokenFileWatch } from "../../agent/sa-token-file.js";

describe("audit context", () => {
  const context = { namespace: "airflow", serviceAccount: "worker", dagId: "etl", taskId: "load", runId: "manual__2024-05-01T10:00:00+00:00", tryNumber: "2", mapIndex: "3" };

  it("names every header and sends only what is known", () => {
    expect(auditHeaders(context, { name: "etl-load-abc", namespace: "airflow" })).toEqual({
      "X-Airflow-Dag-Id": "etl",
      "X-Airflow-Task-Id": "load",
      "X-Airflow-Run-Id": "manual__2024-05-01T10:00:00+00:00",
      "X-Airflow-Try-Number": "2",
      "X-Airflow-Map-Index": "3",
      "X-Kubernetes-Pod-Name": "etl-load-abc",
      "X-Kubernetes-Pod-Namespace": "airflow",
      "X-Kubernetes-Service-Account": "worker",
    });
    expect(auditHeaders({ namespace: "airflow", serviceAccount: "w" }, {})).toEqual({ "X-Kubernetes-Pod-Namespace": "airflow", "X-Kubernetes-Service-Account": "w" });
    expect(auditLogFields(context, { name: "p" })).toMatchObject({ dag_id: "etl", run_id: context.runId, pod: "p", namespace: "airflow" });
  });

  it("percent-encodes what an HTTP header cannot carry, reversibly", () => {
    expect(headerSafe("dag_ä\n100%")).toBe("dag_%C3%A4%0A100%25");
    expect(decodeURIComponent(headerSafe("dag_ä\n100%"))).toBe("dag_ä\n100%");
    expect(headerSafe("x".repeat(600))).toHaveLength(512);
  });
});

describe("service-account token file", () => {
  let dir: string | undefined;
  let watch: TokenFileWatch | undefined;
  afterEach(async () => {
    await watch?.close();
    watch = undefined;
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  });

  /** What the kubelet's AtomicWriter does: a new timestamped dir, then swap the ..data symlink. */
  function project(root: string, generation: number, jwt: string): void {
    const data = join(root, `..2026_05_01_${generation}`);
    mkdirSync(data);
    writeFileSync(join(data, "token"), jwt);
    symlinkSync(data, join(root, "..data_tmp"));
    renameSync(join(root, "..data_tmp"), join(root, "..data"));
  }

  it("reads the token fresh, trimmed, and rejects an empty file", async () => {
    dir = mkdtempSync(join(tmpdir(), "avi-sa-"));
    writeFileSync(join(dir, "token"), "eyJ.a.b\n");
    expect(await readServiceAccountToken(join(dir, "token"))).toBe("eyJ.a.b");
    writeFileSync(join(dir, "token"), "  ");
    await expect(readServiceAccountToken(join(dir, "token"))).rejects.toThrowError(/is empty/);
    await expect(readServiceAccountToken(join(dir, "absent"))).rejects.toThrowError(/ENOENT/);
  });

  it("notices a kubelet rotation through the ..data symlink swap", async () => {
    dir = mkdtempSync(join(tmpdir(), "avi-sa-"));
    const root = dir;
    project(root, 1, "eyJ.first.sig");
    symlinkSync("..data/token", join(root, "token"));
    let notify: () => void = () => undefined;
    const changed = new Promise<void>((resolve) => (notify = resolve));
    watch = watchServiceAccountToken(join(root, "token"), () => notify());
    await watch.ready;
    project(root, 2, "eyJ.second.sig");
    await changed;
    expect(await readServiceAccountToken(join(root, "token"))).toBe("eyJ.second.sig");
  });

  it("polls the token when the directory cannot be watched (inotify exhausted), and says so once", async () => {
    dir = mkdtempSync(join(tmpdir(), "avi-sa-"));
    const root = dir;
    project(root, 1, "eyJ.first.sig");
    symlinkSync("..data/token", join(root, "token"));
    const failing = Object.assign(new EventEmitter(), { close: () => Promise.resolve() }) satisfies DirectoryWatcher;
    const errors: unknown[] = [];
    let notify: () => void = () => undefined;
    const changed = new Promise<void>((resolve) => (notify = resolve));
    watch = watchServiceAccountToken(join(root, "token"), () => notify(), {
      watchDirectory: () => failing,
      onWatchError: (e) => errors.push(e),
      pollMs: 20,
    });
    const emfile = Object.assign(new Error("EMFILE: too many open files, watch"), { code: "EMFILE" });
    failing.emit("error", emfile);
    failing.emit("error", emfile);
    await watch.ready;
    project(root, 2, "eyJ.second.sig");
    await changed;
    expect(errors).toEqual([emfile]);
  });
});
