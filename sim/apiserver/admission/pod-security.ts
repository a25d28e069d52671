/**
 * Pod Security Standards "restricted" checks (kubernetes/pod-security-admission `policy/check_*.go`, v1.37), evaluated
 * the way the PodSecurity plugin does: container-level settings, falling back to the pod level where the
 * standard allows it. Messages follow PSA's `<check> (container "<name>" must …)` wording.
 */
type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Obj) : {});
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);

const ALLOWED_VOLUME_TYPES = new Set(["configMap", "downwardAPI", "emptyDir", "projected", "secret", "csi", "persistentVolumeClaim", "ephemeral", "image"]);

export interface Violation {
  check: string;
  detail: string;
}

export interface RestrictedScope {
  /** Only these containers (all when absent). */
  containers?: readonly string[];
  /** Only these volumes (all when absent). */
  volumes?: readonly string[];
}

export function restrictedViolations(pod: Obj, scope: RestrictedScope = {}): Violation[] {
  const spec = obj(pod["spec"]);
  const podContext = obj(spec["securityContext"]);
  const violations: Violation[] = [];
  const add = (check: string, detail: string): void => void violations.push({ check, detail });
  const all = [...arr(spec["initContainers"]), ...arr(spec["containers"]), ...arr(spec["ephemeralContainers"])];
  const containers = scope.containers === undefined ? all : all.filter((c) => scope.containers?.includes(String(c["name"])));

  if (scope.containers === undefined) {
    for (const key of ["hostNetwork", "hostPID", "hostIPC"]) if (spec[key] === true) add("host namespaces", `${key}=true`);
  }
  const hostUsersOff = spec["hostUsers"] === false;
  for (const c of containers) {
    const name = String(c["name"]);
    const sc = obj(c["securityContext"]);
    const who = `container "${name}"`;
    if (sc["privileged"] === true) add("privileged", `${who} must not set securityContext.privileged=true`);
    if (sc["allowPrivilegeEscalation"] !== false) add("allowPrivilegeEscalation != false", `${who} must set securityContext.allowPrivilegeEscalation=false`);
    const caps = obj(sc["capabilities"]);
    const drop = Array.isArray(caps["drop"]) ? caps["drop"] : [];
    if (!drop.includes("ALL")) add("unrestricted capabilities", `${who} must set securityContext.capabilities.drop=["ALL"]`);
    const added = (Array.isArray(caps["add"]) ? caps["add"] : []).filter((cap) => cap !== "NET_BIND_SERVICE");
    if (added.length > 0) add("unrestricted capabilities", `${who} must not include ${added.join(", ")} in securityContext.capabilities.add`);
    if (!hostUsersOff) {
      const nonRoot = sc["runAsNonRoot"] ?? podContext["runAsNonRoot"];
      if (nonRoot !== true) add("runAsNonRoot != true", `pod or ${who} must set securityContext.runAsNonRoot=true`);
    }
    if ((sc["runAsUser"] ?? podContext["runAsUser"]) === 0) add("runAsUser=0", `pod or ${who} must not set runAsUser=0`);
    const seccomp = obj(sc["seccompProfile"] ?? podContext["seccompProfile"])["type"];
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      add("seccompProfile", `pod or ${who} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
    }
    if (sc["procMount"] !== undefined && sc["procMount"] !== "Default") add("procMount", `${who} must not set securityContext.procMount`);
    for (const p of arr(c["ports"])) if (typeof p["hostPort"] === "number" && p["hostPort"] !== 0) add("hostPort", `${who} uses hostPort ${p["hostPort"]}`);
  }
  for (const v of arr(spec["volumes"])) {
    if (scope.volumes !== undefined && !scope.volumes.includes(String(v["name"]))) continue;
    const type = Object.keys(v).find((k) => k !== "name");
    if (type !== undefined && !ALLOWED_VOLUME_TYPES.has(type)) add("restricted volume types", `volume "${String(v["name"])}" uses restricted volume type "${type}"`);
  }
  return violations;
}

/** PSA's forbidden message: `violates PodSecurity "restricted:latest": check (detail), …`. */
export function podSecurityMessage(name: string, violations: readonly Violation[]): string {
  const parts = violations.map((v) => `${v.check} (${v.detail})`);
  return `pods "${name}" is forbidden: violates PodSecurity "restricted:latest": ${parts.join(", ")}`;
}
