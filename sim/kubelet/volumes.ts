/**
 * Pod volumes as host directories: emptyDir (`medium: Memory` under /dev/shm, otherwise in the pod's
 * directory), Secret/ConfigMap and projected volumes written by the AtomicWriter, and projected
 * service-account tokens minted by the API server's issuer and rotated the way the kubelet's token
 * manager does (at 80 % of the token's life, or 24 h, whichever comes first). With `fsGroup` the
 * volumes are group-owned by it as the kubelet's SetVolumeOwnership does (when running as root).
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { decodeJwt } from "jose";
import { writeAtomically, type PayloadFile } from "./atomic-writer.js";
import { sleepOn, type KubeletClock } from "./clock.js";
import { ContainerConfigError, fieldRefValue, type ClusterObjects } from "./env.js";
import type { Pod, Volume } from "./pod-spec.js";

/** Mints projected tokens; sim/apiserver's ServiceAccountIssuer fits. */
export interface TokenIssuer {
  issue(request: {
    namespace: string;
    serviceAccount: string;
    podName?: string;
    podUid?: string;
    audiences?: readonly string[];
    expirationSeconds?: number;
    nodeName?: string;
  }): Promise<string>;
}

export interface TokenRotationEvent {
  readonly volume: string;
  readonly path: string;
  /** Epoch ms on the kubelet's token clock. */
  readonly at: number;
  readonly generation: number;
}

export interface PodVolume {
  readonly name: string;
  readonly hostPath: string;
  /** The kubelet mounts these read-only whatever the mount says. */
  readonly alwaysReadOnly: boolean;
}

export interface VolumeContext {
  readonly pod: Pod;
  readonly uid: string;
  readonly nodeName: string;
  readonly podDir: string;
  readonly objects: ClusterObjects;
  readonly issuer?: TokenIssuer;
  /** Chown/chmod for fsGroup (root only). */
  readonly applyOwnership: boolean;
}

const DAY_MS = 86_400_000;

function keyPayload(kind: string, name: string, data: Readonly<Record<string, string>> | undefined, items: readonly { key: string; path: string; mode?: number | undefined }[] | undefined, optional: boolean | undefined, mode: number): Record<string, PayloadFile> {
  if (data === undefined) {
    if (optional === true) return {};
    throw new ContainerConfigError(`MountVolume.SetUp failed: ${kind} ${JSON.stringify(name)} not found (give its data to the kubelet simulator's \`objects\`)`);
  }
  const out: Record<string, PayloadFile> = {};
  if (items === undefined) for (const [k, v] of Object.entries(data)) out[k] = { content: v, mode };
  else
    for (const item of items) {
      const v = data[item.key];
      if (v === undefined) throw new ContainerConfigError(`MountVolume.SetUp failed: ${kind} ${name}: key ${item.key} not found`);
      out[item.path] = { content: v, mode: item.mode ?? mode };
    }
  return out;
}

/** The pod's volumes; `stop()` ends token rotation, `remove()` deletes every directory. */
export class PodVolumes {
  readonly byName = new Map<string, PodVolume>();
  readonly rotations: TokenRotationEvent[] = [];
  private readonly stopRotation = new AbortController();
  private readonly shmDir: string;
  private readonly tokenRefresh: Array<() => Promise<void>> = [];

  constructor(
    private readonly ctx: VolumeContext,
    private readonly tokenClock: KubeletClock,
    private readonly tokenSchedule: "kubelet" | { readonly everyMs: number },
  ) {
    this.shmDir = mkdtempSync(join("/dev/shm", "avi-kubelet-"));
  }

  private get fsGroup(): number | undefined {
    return this.ctx.pod.spec.securityContext?.fsGroup;
  }

  private own(path: string, mode: number): void {
    if (!this.ctx.applyOwnership || this.fsGroup === undefined) return;
    chownSync(path, -1, this.fsGroup);
    chmodSync(path, mode);
  }

  async setUp(): Promise<void> {
    for (const v of this.ctx.pod.spec.volumes ?? []) this.byName.set(v.name, await this.create(v));
  }

  private async create(v: Volume): Promise<PodVolume> {
    if (v.emptyDir !== undefined) {
      const base = v.emptyDir.medium === "Memory" ? this.shmDir : join(this.ctx.podDir, "volumes");
      const hostPath = join(base, v.name);
      mkdirSync(hostPath, { recursive: true });
      chmodSync(hostPath, 0o777); // emptyDir is world-writable; fsGroup adds setgid + group ownership
      this.own(hostPath, 0o2777);
      return { name: v.name, hostPath, alwaysReadOnly: false };
    }
    const hostPath = join(this.ctx.podDir, "volumes", v.name);
    mkdirSync(hostPath, { recursive: true });
    chmodSync(hostPath, 0o755);
    this.own(hostPath, 0o2755);
    const { objects } = this.ctx;
    if (v.configMap !== undefined) {
      this.write(hostPath, keyPayload("configmap", v.configMap.name, objects.configMaps?.[v.configMap.name], v.configMap.items, v.configMap.optional, v.configMap.defaultMode ?? 0o644));
    } else if (v.secret !== undefined) {
      this.write(hostPath, keyPayload("secret", v.secret.secretName, objects.secrets?.[v.secret.secretName], v.secret.items, v.secret.optional, v.secret.defaultMode ?? 0o644));
    } else if (v.downwardAPI !== undefined) {
      this.write(hostPath, this.downward(v.downwardAPI.items, v.downwardAPI.defaultMode ?? 0o644));
    } else if (v.projected !== undefined) {
      const projected = v.projected;
      const refresh = async (): Promise<void> => {
        const payload: Record<string, PayloadFile> = {};
        let earliest = Infinity;
        for (const s of projected.sources) {
          const mode = projected.defaultMode ?? 0o644;
          if (s.configMap !== undefined) Object.assign(payload, keyPayload("configmap", s.configMap.name, objects.configMaps?.[s.configMap.name], s.configMap.items, s.configMap.optional, mode));
          if (s.secret !== undefined) Object.assign(payload, keyPayload("secret", s.secret.name, objects.secrets?.[s.secret.name], s.secret.items, s.secret.optional, mode));
          if (s.downwardAPI !== undefined) Object.assign(payload, this.downward(s.downwardAPI.items, mode));
          if (s.serviceAccountToken !== undefined) {
            const jwt = await this.issueToken(s.serviceAccountToken);
            const claims = decodeJwt(jwt);
            const iat = (claims.iat ?? 0) * 1000;
            const exp = (claims.exp ?? 0) * 1000;
            earliest = Math.min(earliest, Math.min(iat + 0.8 * (exp - iat), iat + DAY_MS));
            // projected.go: 0600 when the kubelet knows an fsUser/fsGroup (group-readable once owned).
            payload[s.serviceAccountToken.path] = { content: jwt, mode: this.fsGroup !== undefined ? (this.ctx.applyOwnership ? 0o640 : 0o600) : mode };
          }
        }
        this.write(hostPath, payload);
        if (Number.isFinite(earliest)) {
          const paths = projected.sources.flatMap((s) => (s.serviceAccountToken === undefined ? [] : [s.serviceAccountToken.path]));
          for (const path of paths) this.rotations.push({ volume: v.name, path, at: this.tokenClock.now(), generation: this.rotations.filter((r) => r.volume === v.name && r.path === path).length });
          nextAt = earliest;
        }
      };
      let nextAt = Infinity;
      await refresh();
      if (Number.isFinite(nextAt)) {
        this.tokenRefresh.push(refresh);
        void this.rotateLoop(refresh, () => nextAt);
      }
    } else {
      throw new ContainerConfigError(`volume ${v.name}: only emptyDir, configMap, secret, downwardAPI and projected volumes are simulated`);
    }
    return { name: v.name, hostPath, alwaysReadOnly: true };
  }

  private downward(items: readonly { path: string; fieldRef?: { fieldPath: string } | undefined; mode?: number | undefined }[], mode: number): Record<string, PayloadFile> {
    const facts = { uid: this.ctx.uid, nodeName: this.ctx.nodeName, podIP: "127.0.0.1", hostIP: "127.0.0.1" };
    return Object.fromEntries(items.map((i) => [i.path, { content: i.fieldRef === undefined ? "" : fieldRefValue(this.ctx.pod, facts, i.fieldRef.fieldPath), mode: i.mode ?? mode }]));
  }

  private write(hostPath: string, payload: Record<string, PayloadFile>): void {
    const group = this.ctx.applyOwnership ? this.fsGroup : undefined;
    writeAtomically(hostPath, payload, group === undefined ? {} : { gid: group }, new Date(this.tokenClock.now()));
  }

  private issueToken(src: { audience?: string | undefined; expirationSeconds?: number | undefined }): Promise<string> {
    const { pod, uid, nodeName, issuer } = this.ctx;
    if (issuer === undefined) throw new ContainerConfigError("a projected serviceAccountToken needs a token issuer: pass the API server's issuer (sim/apiserver createServiceAccountIssuer) as `tokenIssuer`");
    return issuer.issue({
      namespace: pod.metadata.namespace,
      serviceAccount: pod.spec.serviceAccountName ?? "default",
      podName: pod.metadata.name,
      podUid: uid,
      ...(src.audience !== undefined && { audiences: [src.audience] }),
      ...(src.expirationSeconds !== undefined && { expirationSeconds: src.expirationSeconds }),
      nodeName,
    });
  }

  private async rotateLoop(refresh: () => Promise<void>, nextAt: () => number): Promise<void> {
    const signal = this.stopRotation.signal;
    while (!signal.aborted) {
      const delay = this.tokenSchedule === "kubelet" ? Math.max(0, nextAt() - this.tokenClock.now()) : this.tokenSchedule.everyMs;
      await sleepOn(this.tokenClock, delay, signal);
      if (signal.aborted) return;
      try {
        await refresh();
      } catch {
        // The kubelet retries on its next sync; the current token stays in place.
        await sleepOn(this.tokenClock, 1000, signal);
      }
    }
  }

  /** Rotate every projected token now (test-driven schedule). */
  async rotateTokens(): Promise<void> {
    for (const refresh of this.tokenRefresh) await refresh();
  }

  stop(): void {
    this.stopRotation.abort();
  }

  remove(): void {
    this.stop();
    rmSync(this.shmDir, { recursive: true, force: true });
  }
}
