/**
 * How a container process sees its volumes. `mount-namespace` (root with util-linux): a private mount
 * namespace and root per container, each volumeMount bind-mounted at its mountPath (readOnly
 * honoured), the process run as the container's user and groups via setpriv. `path-rewrite` (no
 * namespaces, e.g. non-root CI): mount paths in env, command and args are rewritten to the host
 * directories; runAsUser, fsGroup and readOnly cannot be honoured. `oci` (asked for, root with podman):
 * each container from a real OCI image under podman/runc with the pod's securityContext and limits
 * (oci-run.ts); images need an `oci` entry.
 */
import { execFileSync } from "node:child_process";
import { lstatSync, readlinkSync } from "node:fs";
import type { HostKind, HostView } from "./mount-plan.js";

export type IsolationMode = "mount-namespace" | "path-rewrite" | "oci";

export interface NamespaceTools {
  readonly unshare: string;
  readonly nsenter: string;
  readonly mount: string;
  readonly chroot: string;
  readonly setpriv: string;
  readonly sh: string;
}

export interface Isolation {
  readonly mode: IsolationMode;
  /** Why this mode (for the loud log line). */
  readonly reason: string;
  readonly tools?: NamespaceTools;
}

const SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

function which(tool: string): string | undefined {
  try {
    return execFileSync("/bin/sh", ["-c", `command -v ${tool}`], { env: { PATH: SYSTEM_PATH }, encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

let detected: Isolation | undefined;

/** Detect once per process whether mount namespaces work here. */
export function detectIsolation(): Isolation {
  if (detected !== undefined) return detected;
  const tools = { unshare: which("unshare"), nsenter: which("nsenter"), mount: which("mount"), chroot: which("chroot"), setpriv: which("setpriv"), sh: "/bin/sh" };
  const missing = Object.entries(tools).filter(([, v]) => v === undefined).map(([k]) => k);
  if (process.getuid?.() !== 0) detected = { mode: "path-rewrite", reason: `not running as root (uid ${process.getuid?.()}): no mount namespaces` };
  else if (missing.length > 0) detected = { mode: "path-rewrite", reason: `missing tools: ${missing.join(", ")} (Debian: util-linux, mount, coreutils)` };
  else {
    try {
      execFileSync(tools.unshare!, ["--mount", "--propagation", "private", "--", tools.mount!, "-t", "tmpfs", "avi-kubelet-check", "/mnt"], { stdio: "ignore", env: { PATH: SYSTEM_PATH } });
      detected = { mode: "mount-namespace", reason: "root with working mount namespaces", tools: tools as NamespaceTools };
    } catch (err) {
      detected = { mode: "path-rewrite", reason: `unshare --mount failed: ${(err as Error).message.split("\n")[0]}` };
    }
  }
  return detected;
}

/** The real host, for the mount planner. */
export const hostView: HostView = {
  kind(path): HostKind {
    try {
      const st = lstatSync(path);
      return st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : "file";
    } catch {
      return "missing";
    }
  },
  readlink: (path) => readlinkSync(path),
};

export { SYSTEM_PATH };
