/**
 * How a container's volumeMounts become real paths for that process only (pure planning; the shell
 * rendering runs inside `unshare --mount --propagation private`). The container's root is a private
 * tmpfs mirroring the host's `/` (each entry bind-mounted recursively), so nothing is created on the
 * host: where a mount path does not exist, the directory that should hold it is "shadowed" — a tmpfs
 * over it, again mirroring the host's entries — and the missing parts are created in that tmpfs.
 * Symlinks on the way (`/var/run → /run`) are followed inside the container's view.
 */
import { posix } from "node:path";

export type HostKind = "dir" | "file" | "symlink" | "missing";

/** What the planner may ask about the host (injected so the planner stays pure and testable). */
export interface HostView {
  kind(path: string): HostKind;
  readlink(path: string): string;
}

export interface BindMount {
  /** Host path of the volume (or subPath inside it). */
  readonly source: string;
  readonly sourceIsFile: boolean;
  /** Path inside the container. */
  readonly target: string;
  readonly readOnly: boolean;
}

export type MountStep =
  | { readonly op: "shadow"; readonly path: string }
  | { readonly op: "mkdir"; readonly path: string }
  | { readonly op: "touch"; readonly path: string }
  | { readonly op: "bind"; readonly source: string; readonly target: string }
  | { readonly op: "readonly"; readonly target: string };

type Origin = { readonly kind: "host"; readonly hostPath: string } | { readonly kind: "owned" } | { readonly kind: "volume"; readonly hostPath: string };

export class MountPlanError extends Error {
  override readonly name = "MountPlanError";
}

/** Plan the steps for `mounts` (applied in path-depth order, as container runtimes do). */
export function planMounts(mounts: readonly BindMount[], host: HostView): MountStep[] {
  // Shadows first (shallow to deep), so no shadow hides a directory created or a volume bound
  // before it; then directories created outside volumes; then binds (with the mount points of
  // nested mounts created inside their volume after it is bound); then read-only remounts.
  const shadows: string[] = [];
  const creates: MountStep[] = [];
  const binds: MountStep[] = [];
  const create = (step: MountStep & { path: string }): void => {
    (originOf(posix.dirname(step.path)).kind === "volume" ? binds : creates).push(step);
  };
  const shadowed = new Set<string>(["/"]);
  const created = new Set<string>();
  const mounted = new Map<string, string>(); // container path → host source dir

  // Where a container path's content comes from right now.
  const originOf = (path: string): Origin => {
    let best: { at: string; source: string } | undefined;
    for (const [at, source] of mounted) {
      if ((path === at || path.startsWith(`${at}/`)) && (best === undefined || at.length > best.at.length)) best = { at, source };
    }
    if (best !== undefined) return { kind: "volume", hostPath: best.source + path.slice(best.at.length) };
    if (created.has(path)) return { kind: "owned" };
    return { kind: "host", hostPath: path };
  };

  const kindIn = (path: string): HostKind => {
    const origin = originOf(path);
    if (origin.kind === "owned") return "dir";
    if (origin.kind === "volume") return host.kind(origin.hostPath);
    // Under a created (owned) directory only what we created exists.
    const parent = posix.dirname(path);
    if (path !== "/" && originOf(parent).kind === "owned") return created.has(path) ? "dir" : "missing";
    return host.kind(path);
  };

  /** Resolve symlinks in the container's view; returns the real container path. */
  const resolve = (path: string, depth = 0): string => {
    if (depth > 40) throw new MountPlanError(`too many levels of symbolic links resolving ${path}`);
    const parts = path.split("/").filter((p) => p !== "");
    let cur = "/";
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(cur, parts[i]!);
      if (kindIn(next) === "symlink") {
        const origin = originOf(next);
        const link = host.readlink(origin.kind === "volume" ? origin.hostPath : next);
        const base = link.startsWith("/") ? link : posix.join(cur, link);
        return resolve(posix.join(base, ...parts.slice(i + 1)), depth + 1);
      }
      cur = next;
    }
    return cur;
  };

  // Make `dir` able to take new entries without touching the host.
  const makeWritable = (dir: string): void => {
    const origin = originOf(dir);
    if (origin.kind !== "host" || shadowed.has(dir)) return;
    shadows.push(dir);
    shadowed.add(dir);
  };

  const ensureDir = (path: string): void => {
    if (path === "/") return;
    const kind = kindIn(path);
    if (kind === "dir") return;
    if (kind === "file") throw new MountPlanError(`${path} is a file, not a directory`);
    const parent = posix.dirname(path);
    ensureDir(parent);
    makeWritable(parent);
    create({ op: "mkdir", path });
    created.add(path);
  };

  const ordered = [...mounts].sort((a, b) => a.target.split("/").length - b.target.split("/").length);
  const readOnly: string[] = [];
  for (const m of ordered) {
    const target = resolve(posix.normalize(m.target));
    if (m.readOnly) readOnly.push(target);
    const parent = posix.dirname(target);
    ensureDir(resolve(parent));
    const kind = kindIn(target);
    if (m.sourceIsFile) {
      if (kind === "dir") throw new MountPlanError(`cannot mount file ${m.source} on directory ${target}`);
      if (kind === "missing") {
        makeWritable(parent);
        create({ op: "touch", path: target });
      }
    } else if (kind === "file") throw new MountPlanError(`cannot mount directory ${m.source} on file ${target}`);
    else if (kind === "missing") {
      makeWritable(parent);
      create({ op: "mkdir", path: target });
      created.add(target);
    }
    binds.push({ op: "bind", source: m.source, target });
    mounted.set(target, m.source);
  }
  const depth = (p: string): number => p.split("/").length;
  return [
    ...shadows.sort((a, b) => depth(a) - depth(b)).map((path): MountStep => ({ op: "shadow", path })),
    ...creates,
    ...binds,
    ...readOnly.map((target): MountStep => ({ op: "readonly", target })),
  ];
}

function q(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * A POSIX shell script (run as root inside a fresh mount namespace) that builds the container root at
 * `$1` and then `exec`s the remaining arguments inside it. Tools are called by absolute path.
 */
export function renderMountScript(steps: readonly MountStep[], tools: { mount: string; chroot: string }): string {
  const M = q(tools.mount);
  const lines = [
    "set -eu",
    'R="$1"; shift',
    // The container's PATH must reach the container unchanged; the script uses the system's.
    'if [ -n "${PATH+x}" ]; then _P="$PATH"; fi',
    "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
    // mirror HOSTDIR INTO: every entry of a host directory, bind-mounted (recursively) or re-linked.
    "mirror() {",
    '  for c in "$1"/* "$1"/.[!.]* "$1"/..?*; do',
    '    [ -e "$c" ] || [ -L "$c" ] || continue',
    '    n="${c##*/}"',
    '    if [ -L "$c" ]; then ln -s "$(readlink "$c")" "$2/$n"',
    `    elif [ -d "$c" ]; then mkdir "$2/$n"; ${M} --rbind "$c" "$2/$n"`,
    `    else : > "$2/$n"; ${M} --bind "$c" "$2/$n"; fi`,
    "  done",
    "}",
    `${M} -t tmpfs -o mode=755 avi-kubelet-root "$R"`,
    'mirror / "$R"',
  ];
  for (const s of steps) {
    switch (s.op) {
      case "shadow":
        lines.push(`${M} -t tmpfs -o mode="$(stat -c %a ${q(s.path)})" avi-kubelet-shadow "$R"${q(s.path)}`, `mirror ${q(s.path)} "$R"${q(s.path)}`);
        break;
      case "mkdir":
        lines.push(`mkdir -p "$R"${q(s.path)}`);
        break;
      case "touch":
        lines.push(`: > "$R"${q(s.path)}`);
        break;
      case "bind":
        lines.push(`${M} --bind ${q(s.source)} "$R"${q(s.target)}`);
        break;
      case "readonly":
        lines.push(`${M} -o remount,bind,ro "$R"${q(s.target)}`);
        break;
    }
  }
  // fd 3 tells the kubelet the container is about to exec (its "running" moment), then is closed.
  lines.push('if [ -n "${_P+x}" ]; then PATH="$_P"; else unset PATH; fi', "echo exec >&3", "exec 3>&-", `exec ${q(tools.chroot)} "$R" "$@"`);
  return lines.join("\n");
}

/**
 * The fallback without namespaces: mount paths in env values, command and args are rewritten to the
 * host directories (longest mount path first, only at a path boundary).
 */
export function rewritePaths(value: string, mounts: readonly BindMount[]): string {
  const ordered = [...mounts].sort((a, b) => b.target.length - a.target.length);
  let out = "";
  let i = 0;
  outer: while (i < value.length) {
    for (const m of ordered) {
      if (value.startsWith(m.target, i)) {
        const before = i === 0 ? "" : value[i - 1]!;
        const after = value[i + m.target.length] ?? "";
        if (!/[\w./-]/.test(before) && !/[\w.-]/.test(after)) {
          out += m.source;
          i += m.target.length;
          continue outer;
        }
      }
    }
    out += value[i];
    i++;
  }
  return out;
}
