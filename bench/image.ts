/**
 * The image benchmark (issue 14): the avi image as built by `npm run image`, and the agent run from it
 * by podman/runc as the injector specifies it (uid 65532, read-only root, no capabilities,
 * no-new-privileges, host network, memory limit 64 MiB with swap equal), against sim/vault:
 *  - build time (context staging + buildah, Debian packages cached) and image size raw / gzip-compressed
 *    (what a registry stores), next to hashicorp/vault 1.19 (the vault-k8s agent image: 503 MB raw);
 *  - container start (`podman run`) → first credentials file written;
 *  - the agent's peak cgroup memory (cgroup v1 memory.max_usage_in_bytes) against its limit, with a cold
 *    page cache (`echo 3 > /proc/sys/vm/drop_caches` before the run: the Node binary's pages are charged
 *    to the pod) and warm.
 *   npm run bench:image        (env: RUNS=3, SMOKE=1 for one build and one run each; needs root + podman)
 * Last line: RESULT image_raw_mb=… image_gzip_mb=… build_s=… start_cold_ms=… start_warm_ms=… peak_cold_mib=… peak_warm_mib=…
 */
import { spawn, spawnSync, execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { gzipSync } from "node:zlib";
import { AGENT_NODE_OPTIONS } from "../agent/config.js";
import { DEFAULT_AGENT_RESOURCES } from "../injector/settings.js";
import { memoryBytes } from "../sim/kubelet/oci-run.js";
import { STAGE_POD, stageAgentConfig, startVaultStage, type VaultStage } from "../test/support/vault-stage.js";
// @ts-expect-error -- plain ESM build script without types
import { buildImage } from "../scripts/image.mjs";

const SMOKE = process.env["SMOKE"] === "1";
const RUNS = SMOKE ? 1 : Number(process.env["RUNS"] ?? 3);
/** The agent container's memory limit: the injector's default unless CONTAINER_LIMIT says otherwise. */
const LIMIT_BYTES = memoryBytes(process.env["CONTAINER_LIMIT"] ?? DEFAULT_AGENT_RESOURCES.limits.memory);
const VAULT_119_RAW_MB = 503;
const HOLD_MS = 3000;

if (process.getuid?.() !== 0 || spawnSync("podman", ["--version"]).status !== 0) {
  console.error("bench:image needs root and podman/buildah/runc: sudo apt-get install podman buildah runc catatonit");
  process.exit(2);
}
const podman = (args: string[]): string => execFileSync("podman", args, { encoding: "utf8", maxBuffer: 1 << 28 });
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)]!;
const mb = (bytes: number): number => Math.round(bytes / 1e5) / 10;
const mib = (bytes: number): number => Math.round((bytes / 1048576) * 10) / 10;

const before = new Set(podman(["images", "--quiet", "--no-trunc"]).split("\n").map((l) => l.replace(/^sha256:/, "")));
const tag = `localhost/avi-bench-image:${process.pid}`;

// Build (first build may fetch the Debian packages; the figure is the last build's).
const buildTimes: number[] = [];
let id = "";
for (let i = 0; i < (SMOKE ? 1 : 2); i++) {
  const t0 = performance.now();
  id = await (buildImage as (o: { tag: string }) => Promise<string>)({ tag });
  buildTimes.push((performance.now() - t0) / 1000);
}
const rawBytes = Number(podman(["image", "inspect", "--format", "{{.Size}}", id]).trim());

/** Layers gzip-compressed (level 6, as registries' clients push them) + config + manifest. */
function compressedBytes(): number {
  const dir = mkdtempSync(join(tmpdir(), "avi-bench-oci-"));
  try {
    podman(["save", "--quiet", "--format", "oci-dir", "--output", join(dir, "oci"), id]);
    const blobs = join(dir, "oci", "blobs", "sha256");
    const index = JSON.parse(readFileSync(join(dir, "oci", "index.json"), "utf8")) as { manifests: { digest: string }[] };
    const manifest = JSON.parse(readFileSync(join(blobs, index.manifests[0]!.digest.slice(7)), "utf8")) as { config: { size: number }; layers: { digest: string }[] };
    let total = manifest.config.size + readFileSync(join(blobs, index.manifests[0]!.digest.slice(7))).length;
    for (const layer of manifest.layers) total += gzipSync(readFileSync(join(blobs, layer.digest.slice(7))), { level: 6 }).length;
    return total;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const gzBytes = compressedBytes();

function dropCaches(): void {
  execFileSync("sync");
  writeFileSync("/proc/sys/vm/drop_caches", "3\n");
}

/** One agent container: podman run → `etl.json` written; peak cgroup memory after HOLD_MS more. */
interface Run {
  readonly startMs: number;
  readonly peakBytes: number;
  /** memory.stat at the end: anonymous memory, page cache, and how often the limit was hit. */
  readonly rss: number;
  readonly cache: number;
  readonly failcnt: number;
}

async function agentRun(stage: VaultStage): Promise<Run> {
  const out = mkdtempSync(join("/dev/shm", "avi-bench-image-"));
  chownSync(out, 65532, 65532);
  chmodSync(out, 0o750);
  const cidfile = join(mkdtempSync(join(tmpdir(), "avi-bench-cid-")), "cid");
  const tokenDir = dirname(stage.tokenFile);
  const config = stageAgentConfig(stage, [{ name: "etl", path: "aws/sts/etl", format: "aws" }], { outputDir: out, logLevel: "warn", context: { namespace: STAGE_POD.namespace, serviceAccount: STAGE_POD.serviceAccount, dagId: "bench", taskId: "image" } });
  let w: ReturnType<typeof watch> | undefined;
  const written = new Promise<void>((resolve) => {
    w = watch(out, (_e, file) => file === "etl.json" && resolve());
  });
  const args = ["run", "--rm", "--pull=never", "--cidfile", cidfile, "--network=host", "--user", "65532:65532", "--read-only", "--read-only-tmpfs=false", "--cap-drop", "all", "--security-opt", "no-new-privileges"];
  args.push("--memory", String(LIMIT_BYTES), "--memory-swap", String(LIMIT_BYTES), "--volume", `${tokenDir}:${tokenDir}:ro`, "--volume", `${out}:${out}:rw`);
  args.push("--env", `NODE_OPTIONS=${AGENT_NODE_OPTIONS}`, "--env", "AVI_AGENT_CONFIG", id, "agent");
  const t0 = performance.now();
  const child = spawn("podman", args, { env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: "/root", AVI_AGENT_CONFIG: JSON.stringify(config) }, stdio: ["ignore", "ignore", "inherit"] });
  try {
    const failed = new Promise<never>((_, reject) => {
      child.once("exit", (code) => reject(new Error(`agent container exited ${code} before writing credentials`)));
      setTimeout(() => reject(new Error("no credentials written within 60 s")), 60_000).unref();
    });
    await Promise.race([written, failed]);
    const startMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, HOLD_MS));
    const cid = readFileSync(cidfile, "utf8").trim();
    const cgroup = podman(["inspect", "--format", "{{.State.CgroupPath}}", cid]).trim();
    const dir = join("/sys/fs/cgroup/memory", cgroup);
    const peakBytes = Number(readFileSync(join(dir, "memory.max_usage_in_bytes"), "utf8"));
    const stat = readFileSync(join(dir, "memory.stat"), "utf8");
    const field = (k: string): number => Number(new RegExp(`^${k} (\\d+)$`, "m").exec(stat)?.[1] ?? NaN);
    return { startMs, peakBytes, rss: field("rss"), cache: field("cache"), failcnt: Number(readFileSync(join(dir, "memory.failcnt"), "utf8")) };
  } finally {
    w?.close();
    if (existsSync(cidfile)) spawnSync("podman", ["rm", "--force", "--time", "5", readFileSync(cidfile, "utf8").trim()], { stdio: "ignore" });
    await new Promise((r) => (child.exitCode !== null ? r(undefined) : child.once("exit", r)));
    rmSync(out, { recursive: true, force: true });
    rmSync(dirname(cidfile), { recursive: true, force: true });
  }
}

const stage = await startVaultStage();
const cold: Run[] = [];
const warm: Run[] = [];
try {
  for (let i = 0; i < RUNS; i++) {
    dropCaches();
    cold.push(await agentRun(stage));
    warm.push(await agentRun(stage));
  }
} finally {
  await stage.stop();
  for (const t of [tag]) spawnSync("podman", ["untag", id, t], { stdio: "ignore" });
  if (!before.has(id)) spawnSync("podman", ["rmi", "--force", id], { stdio: "ignore" });
}

const load = loadavg().map((l) => l.toFixed(2)).join(" ");
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "?"}; load average ${load}; podman ${podman(["--version"]).trim().split(" ").pop()} (runc, cgroup v1)`);
console.log(`image ${id.slice(0, 12)}: ${mb(rawBytes)} MB raw, ${mb(gzBytes)} MB gzip (hashicorp/vault 1.19: ${VAULT_119_RAW_MB} MB raw); build ${buildTimes.map((s) => s.toFixed(1)).join(", ")} s`);
console.log(`container start → first credentials file: cold ${cold.map((r) => r.startMs.toFixed(0)).join(", ")} ms; warm ${warm.map((r) => r.startMs.toFixed(0)).join(", ")} ms`);
console.log(`agent peak cgroup memory (limit ${mib(LIMIT_BYTES)} MiB): cold ${cold.map((r) => mib(r.peakBytes)).join(", ")} MiB; warm ${warm.map((r) => mib(r.peakBytes)).join(", ")} MiB`);
const breakdown = (rs: Run[]): string => rs.map((r) => `rss ${mib(r.rss)} + cache ${mib(r.cache)} MiB, limit hit ${r.failcnt}×`).join("; ");
console.log(`  at the end (memory.stat): cold ${breakdown(cold)}; warm ${breakdown(warm)}`);
console.log(
  `RESULT image_raw_mb=${mb(rawBytes)} image_gzip_mb=${mb(gzBytes)} vault_raw_mb=${VAULT_119_RAW_MB} build_s=${buildTimes.at(-1)!.toFixed(1)} start_cold_ms=${median(cold.map((r) => r.startMs)).toFixed(0)} start_warm_ms=${median(warm.map((r) => r.startMs)).toFixed(0)} peak_cold_mib=${Math.max(...cold.map((r) => mib(r.peakBytes)))} peak_warm_mib=${Math.max(...warm.map((r) => mib(r.peakBytes)))} limit_mib=${mib(LIMIT_BYTES)} load1=${loadavg()[0]!.toFixed(2)}`,
);
