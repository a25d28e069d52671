/**
 * What the self-issued mode does next, decided from the Secret, the clock and whether the webhook's
 * caBundle already equals the Secret's ca.crt. Pure, so every replica reaches the same decision and
 * the Secret's resourceVersion decides who gets to write it. A rotation has three steps, each only
 * once everybody can have seen the previous one:
 *
 *   stage    add the next certificate; trust old + new CA          (caBundle follows)
 *   promote  serve the next certificate; still trust both           (after the caBundle has the new CA
 *                                                                    and `propagation` has passed)
 *   retire   trust only the new CA                                  (`propagation` after promote, when
 *                                                                    every replica serves the new one)
 */
import type { TlsSecretState } from "./tls-secret.js";

export interface RotationTiming {
  /** Stage the next certificate after this fraction of the serving certificate's lifetime (0–1). */
  readonly renewFraction: number;
  /** Time for a change to reach every API server (caBundle) and every replica (Secret watch). */
  readonly propagationMs: number;
}

export const DEFAULT_TIMING: RotationTiming = { renewFraction: 2 / 3, propagationMs: 120_000 };

export type RotationStep =
  | { kind: "issue"; reason: string }
  | { kind: "stage" }
  | { kind: "promote" }
  | { kind: "retire" }
  | { kind: "wait"; until?: number; reason: string };

export function planRotation(state: TlsSecretState, now: number, caBundleApplied: boolean, timing: RotationTiming): RotationStep {
  if (now >= state.serving.notAfter) return { kind: "issue", reason: "the serving certificate has expired" };
  if (state.next !== undefined) {
    if (!caBundleApplied) return { kind: "wait", reason: "the caBundle does not trust the staged certificate yet" };
    const at = (state.stagedAt ?? 0) + timing.propagationMs;
    return now >= at ? { kind: "promote" } : { kind: "wait", until: at, reason: "letting the new caBundle reach every API server" };
  }
  if (state.trusted.length > 1) {
    if (!caBundleApplied) return { kind: "wait", reason: "the caBundle is not in sync with the Secret" };
    const at = (state.promotedAt ?? 0) + timing.propagationMs;
    return now >= at ? { kind: "retire" } : { kind: "wait", until: at, reason: "letting every replica switch to the new certificate" };
  }
  const { notBefore, notAfter } = state.serving;
  const renewAt = notBefore + timing.renewFraction * (notAfter - notBefore);
  return now >= renewAt ? { kind: "stage" } : { kind: "wait", until: renewAt, reason: "certificate is fresh" };
}
