/**
 * Startup probes as the kubelet runs them: wait `initialDelaySeconds`, then try every `periodSeconds`
 * (each try bounded by `timeoutSeconds`) until one succeeds, giving up after `failureThreshold`
 * failures. httpGet succeeds on 200–399 (host defaults to the pod IP, a named port is looked up in the
 * container's ports); tcpSocket on a connection; exec on exit code 0.
 */
import { connect } from "node:net";
import { sleepOn, type KubeletClock } from "./clock.js";
import type { Container, Probe } from "./pod-spec.js";

export interface ProbeTarget {
  readonly container: Container;
  readonly podIP: string;
  /** Run a command in the container; resolves to its exit code. */
  exec(argv: readonly string[], timeoutMs: number): Promise<number>;
}

export interface ProbeOutcome {
  readonly started: boolean;
  readonly attempts: number;
  readonly lastError?: string;
}

function portOf(container: Container, port: number | string): number {
  if (typeof port === "number") return port;
  const named = container.ports?.find((p) => p.name === port);
  if (named === undefined) throw new Error(`probe port ${JSON.stringify(port)} is not a named port of container ${container.name}`);
  return named.containerPort;
}

async function tryOnce(probe: Probe, target: ProbeTarget): Promise<string | undefined> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.httpGet !== undefined) {
    const g = probe.httpGet;
    const host = g.host ?? target.podIP;
    const url = `${(g.scheme ?? "HTTP").toLowerCase()}://${host.includes(":") ? `[${host}]` : host}:${portOf(target.container, g.port)}${g.path ?? "/"}`;
    try {
      const res = await fetch(url, { headers: Object.fromEntries((g.httpHeaders ?? []).map((h) => [h.name, h.value])), signal: AbortSignal.timeout(timeoutMs), redirect: "manual" });
      await res.arrayBuffer();
      return res.status >= 200 && res.status < 400 ? undefined : `HTTP probe failed with statuscode: ${res.status}`;
    } catch (err) {
      return `Get "${url}": ${(err as Error).message}`;
    }
  }
  if (probe.tcpSocket !== undefined) {
    const port = portOf(target.container, probe.tcpSocket.port);
    const host = probe.tcpSocket.host ?? target.podIP;
    return new Promise((resolve) => {
      const socket = connect({ host, port, timeout: timeoutMs });
      socket.once("connect", () => {
        socket.destroy();
        resolve(undefined);
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve(`dial tcp ${host}:${port}: i/o timeout`);
      });
      socket.once("error", (err) => resolve(`dial tcp ${host}:${port}: ${err.message}`));
    });
  }
  if (probe.exec !== undefined) {
    const code = await target.exec(probe.exec.command, timeoutMs);
    return code === 0 ? undefined : `command ${JSON.stringify(probe.exec.command)} exited with ${code}`;
  }
  throw new Error(`container ${target.container.name}: the probe has no handler (exec, httpGet or tcpSocket)`);
}

/** Probe until started, failed `failureThreshold` times, or `signal` aborts (not started). */
export async function runStartupProbe(probe: Probe, target: ProbeTarget, clock: KubeletClock, signal: AbortSignal): Promise<ProbeOutcome> {
  const period = (probe.periodSeconds ?? 10) * 1000;
  const threshold = probe.failureThreshold ?? 3;
  await sleepOn(clock, (probe.initialDelaySeconds ?? 0) * 1000, signal);
  let failures = 0;
  let lastError: string | undefined;
  while (!signal.aborted) {
    lastError = await tryOnce(probe, target);
    if (signal.aborted) break;
    if (lastError === undefined) return { started: true, attempts: failures + 1 };
    failures++;
    if (failures >= threshold) break;
    await sleepOn(clock, period, signal);
  }
  return { started: false, attempts: failures, ...(lastError !== undefined && { lastError }) };
}
