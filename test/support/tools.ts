/**
 * Tests that need a tool outside node_modules (Go, Ceph, Debian's boto3 or awscli, …) declare it here
 * and use one of the helpers below. When a tool is missing, the test is skipped with the reason and the
 * install line (test/support/skip-summary-reporter.ts lists every skip at the end of the run); under
 * `CI=true` — where .ci/run installs every tool — a missing tool fails the test instead.
 *
 *   describeWithTools(["ceph", "boto3"], "real Ceph RGW", () => { … });   // a whole suite
 *   itWithTools(["awscli"], "awscli reads the profile", async () => { … }); // one test
 *   it("…", (ctx) => { requireTools(ctx, "boto3"); … });                  // inside a test
 *
 * A new tool is one entry in TOOLS: what is missing (checked once per worker) and how to install it.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import { delimiter, join } from "node:path";
import { describe, it, type TestContext } from "vitest";
import { CEPH_APT_PACKAGES, cephPackagesPresent } from "../e2e/ceph/ceph-rgw.js";
import { goPathWith } from "./go-path.js";
import { OCI_APT_PACKAGES, ociMissingReason } from "./oci.js";

/** Debian's interpreter: the `python3` first on PATH may be another one without Debian's modules. */
export const DEBIAN_PYTHON = "/usr/bin/python3";

export interface ToolSpec {
  /** What the tool is for, shown in the skip line. */
  readonly purpose: string;
  /** Why it is unusable here, or undefined when it is present. */
  readonly missing: () => string | undefined;
  /** The command that installs it on Debian (the same packages .ci/run installs). */
  readonly install: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The first executable `name` on PATH, or undefined. */
export function onPath(name: string): string | undefined {
  for (const dir of (process.env["PATH"] ?? "").split(delimiter)) {
    if (dir !== "" && executable(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

const binaries = (...names: string[]) => (): string | undefined => {
  const absent = names.filter((n) => (n.startsWith("/") ? !executable(n) : onPath(n) === undefined));
  return absent.length === 0 ? undefined : `${absent.join(", ")} not found or not executable`;
};

const present = (path: string) => (): string | undefined => (existsSync(path) ? undefined : `${path} not found`);

const pythonModule = (module: string) => (): string | undefined => {
  if (!executable(DEBIAN_PYTHON)) return `${DEBIAN_PYTHON} not found`;
  const result = spawnSync(DEBIAN_PYTHON, ["-c", `import ${module}`], { encoding: "utf8", timeout: 30_000 });
  if (result.status === 0) return undefined;
  const last = (result.stderr ?? "").trim().split("\n").at(-1) ?? "";
  return `${DEBIAN_PYTHON} cannot import ${module}${last === "" ? "" : ` (${last})`}`;
};

export const TOOLS = {
  go: {
    purpose: "the chart renderer (test/chart/renderer: Go text/template + Sprig)",
    missing: () => binaries("go")() ?? (goPathWith(["github.com/Masterminds/sprig", "sigs.k8s.io/yaml"]) === undefined ? "Go sources of Sprig and sigs.k8s.io/yaml not found in any GOPATH" : undefined),
    install: "apt-get install golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev",
  },
  ceph: {
    purpose: "a throwaway Ceph RGW (test/e2e/ceph/ceph-rgw.sh)",
    missing: () => (cephPackagesPresent() ? undefined : "Ceph binaries (ceph-mon, ceph-osd, radosgw, radosgw-admin, …) not found"),
    install: `apt-get install --no-install-recommends ${CEPH_APT_PACKAGES.join(" ")}`,
  },
  boto3: {
    purpose: "Debian's boto3 as a real consumer of the credentials",
    missing: pythonModule("boto3"),
    install: "apt-get install python3-boto3",
  },
  awscli: {
    purpose: "Debian's aws-cli as a real consumer of the credentials",
    missing: binaries("/usr/bin/aws"),
    install: "apt-get install awscli",
  },
  hvac: {
    purpose: "Debian's python3-hvac, a real Vault client driving the Vault simulator",
    missing: pythonModule("hvac"),
    install: "apt-get install python3-hvac",
  },
  mariadb: {
    purpose: "MariaDB's hashicorp_key_management plugin, a real Vault client of the Vault simulator",
    missing: () => binaries("/usr/sbin/mariadbd", "/usr/bin/mariadb-install-db", "/usr/bin/mariadb")() ?? present("/usr/lib/mysql/plugin/hashicorp_key_management.so")(),
    install: "apt-get install mariadb-server mariadb-plugin-hashicorp-key-management",
  },
  "minio-go": {
    purpose: "minio-go, built offline from Debian's Go sources, as an S3 consumer of the agent",
    missing: () => binaries("go")() ?? (goPathWith(["github.com/minio/minio-go/v7"]) === undefined ? "Go sources of github.com/minio/minio-go/v7 not found in any GOPATH" : undefined),
    install: "apt-get install golang-go golang-github-minio-minio-go-v7-dev",
  },
  podman: {
    purpose: "a real OCI build and runtime (buildah, podman with runc) for the image and the containers of a pod",
    missing: ociMissingReason,
    install: `apt-get install ${OCI_APT_PACKAGES}, and runtime = "runc" plus default_ulimits in /etc/containers/containers.conf (see .ci/run)`,
  },
  rclone: {
    purpose: "rclone (env_auth, provider Ceph) as an S3 consumer of the agent",
    missing: binaries("/usr/bin/rclone"),
    install: "apt-get install rclone",
  },
} as const satisfies Record<string, ToolSpec>;

export type ToolName = keyof typeof TOOLS;

const checked = new Map<ToolName, string | undefined>();

function problem(name: ToolName): string | undefined {
  if (!checked.has(name)) checked.set(name, (TOOLS[name] as ToolSpec).missing());
  return checked.get(name);
}

/** True under `CI=true`: .ci/run installs every tool, so a missing one is a broken CI, not a skip. */
export const TOOLS_REQUIRED = process.env["CI"] === "true";

/** Why these tools cannot be used here, with the install line — or undefined when all are present. */
export function missingTools(names: readonly ToolName[]): string | undefined {
  const missing = names.flatMap((n) => {
    const why = problem(n);
    return why === undefined ? [] : [`${n} (${why}; ${TOOLS[n].install})`];
  });
  return missing.length === 0 ? undefined : `needs ${missing.join(", ")}`;
}

function ciFailure(reason: string): Error {
  return new Error(`CI=true and a tool the tests need is missing: ${reason} (.ci/run installs it; a missing tool there is a bug)`);
}

/** A `describe` that runs when every tool is present, is skipped with the reason otherwise, and fails under CI=true. */
export function describeWithTools(names: readonly ToolName[], title: string, body: () => void): void {
  const reason = missingTools(names);
  if (reason === undefined) {
    describe(title, body);
  } else if (TOOLS_REQUIRED) {
    describe(title, () => {
      it("has the tools it needs", () => {
        throw ciFailure(reason);
      });
    });
  } else {
    // One skipped test carries the reason (reporters show a skip note, not a skipped suite's why); the
    // suite's own tests are listed as skipped beside it.
    describe(title, () => {
      it(`skipped: ${reason}`, (ctx) => ctx.skip(reason));
      describe.skip("(not run)", body);
    });
  }
}

/** An `it` that runs when every tool is present, is skipped with the reason otherwise, and fails under CI=true. */
export function itWithTools(names: readonly ToolName[], title: string, fn: (ctx: TestContext) => unknown, timeout?: number): void {
  it(
    title,
    async (ctx) => {
      requireTools(ctx, ...names);
      await fn(ctx);
    },
    timeout,
  );
}

/** Inside a test: skip it with the reason (or fail under CI=true) unless every tool is present. */
export function requireTools(ctx: TestContext, ...names: ToolName[]): void {
  const reason = missingTools(names);
  if (reason === undefined) return;
  if (TOOLS_REQUIRED) throw ciFailure(reason);
  ctx.skip(reason);
}

/** For code outside a test (a helper that spawns the tool): throws the skip line's reason as an error. */
export function assertTools(...names: ToolName[]): void {
  const reason = missingTools(names);
  if (reason !== undefined) throw new Error(reason);
}
