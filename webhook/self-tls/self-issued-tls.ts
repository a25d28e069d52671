/**
 * Self-issued TLS for any number of replicas. The Secret is the single source of truth: every
 * replica serves what it holds (watched), and every replica may advance it — create it, stage, promote
 * and retire a rotation (rotation-plan.ts), keep the webhook's caBundle equal to its ca.crt — with
 * writes conditional on the resourceVersion it read. Two replicas deciding the same step at once both
 * try; one write lands, the other gets a Conflict, re-reads and finds the step done. No leader: no
 * lease to renew or lose, nothing to take over after an eviction (vault-k8s#764), and the decision
 * depends only on the Secret and the clock, so a replica that dies mid-rotation leaves nothing behind
 * that another cannot finish.
 */
import type { Logger } from "pino";
import { ConflictError, type OwnerReference, type SecretClient, type SecretObject, type WebhookConfigurationClient, type WebhookConfigurationObject } from "../kube/api.js";
import { Reflector } from "../kube/reflector.js";
import type { WebhookMetrics } from "../metrics.js";
import { loadTlsMaterial, type TlsMaterial } from "../tls-material.js";
import type { TlsSource } from "../tls-source.js";
import { issueGeneration, type CertificateGeneration, type Issuer } from "./certificates.js";
import { DEFAULT_TIMING, planRotation, type RotationStep, type RotationTiming } from "./rotation-plan.js";
import { caBundleOf, readTlsSecret, tlsSecret, type TlsSecretContent, type TlsSecretState } from "./tls-secret.js";

export interface SelfIssuedTlsOptions {
  readonly secretName: string;
  readonly namespace: string;
  readonly secrets: SecretClient;
  /** The webhook's MutatingWebhookConfiguration (its caBundle is kept in sync; it owns the Secret). */
  readonly webhookConfiguration: WebhookConfigurationClient;
  readonly webhookConfigurationName: string;
  readonly dnsNames: readonly string[];
  readonly validityMs: number;
  readonly timing?: RotationTiming;
  readonly logger: Logger;
  readonly metrics?: WebhookMetrics;
  /** Epoch ms (tests drive certificate lifetimes with a fake clock). */
  readonly clock?: () => number;
  readonly issue?: Issuer;
  /** Longest time between two reconciliations (default 1 min). */
  readonly resyncMs?: number;
}

const MAX_ATTEMPTS = 5;

export class SelfIssuedTls implements TlsSource {
  private readonly clock: () => number;
  private readonly timing: RotationTiming;
  private readonly issue: Issuer;
  private readonly secretCache: Reflector<SecretObject>;
  private readonly webhookCache: Reflector<WebhookConfigurationObject>;
  private onChange: (material: TlsMaterial) => void = () => undefined;
  private onError: (error: Error) => void = () => undefined;
  private served = "";
  private material: TlsMaterial | undefined;
  private running: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: SelfIssuedTlsOptions) {
    this.clock = options.clock ?? Date.now;
    this.timing = options.timing ?? DEFAULT_TIMING;
    this.issue = options.issue ?? issueGeneration;
    const onError = (err: Error): void => options.logger.warn({ err: err.message }, "self-issued TLS: watch failed; retrying");
    this.secretCache = new Reflector({
      source: options.secrets,
      onChange: () => {
        const secret = this.secretCache.single();
        if (secret !== undefined) this.serve(secret);
        this.soon();
      },
      onError,
    });
    // Someone resetting the caBundle (a `helm upgrade` rendering it empty) is repaired at once.
    this.webhookCache = new Reflector({ source: options.webhookConfiguration, onChange: () => this.soon(), onError });
  }

  async start(onChange: (material: TlsMaterial) => void, onError: (error: Error) => void): Promise<TlsMaterial> {
    this.onChange = onChange;
    this.onError = onError;
    await Promise.all([this.secretCache.start(), this.webhookCache.start()]);
    await this.reconcile();
    if (this.material === undefined) throw new Error(`self-issued TLS: secret ${this.options.namespace}/${this.options.secretName} holds no usable certificate`);
    return this.material;
  }

  /** One pass: create/repair the Secret, sync the caBundle, take the next rotation step. Serialised. */
  reconcile(): Promise<void> {
    this.running = this.running.then(() => this.reconcileOnce()).catch((err: unknown) => {
      this.options.logger.error({ err: (err as Error).message }, "self-issued TLS: reconcile failed; retrying");
      this.schedule(this.clock() + 5_000);
    });
    return this.running;
  }

  /** The material currently served (for tests and readiness). */
  current(): TlsMaterial | undefined {
    return this.material;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    this.secretCache.stop();
    this.webhookCache.stop();
    await this.running;
  }

  private soon(): void {
    if (!this.closed && this.material !== undefined) this.schedule(this.clock());
  }

  private schedule(at: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    const delay = Math.max(0, Math.min(at - this.clock(), this.options.resyncMs ?? 60_000));
    this.timer = setTimeout(() => void this.reconcile(), delay);
    this.timer.unref();
  }

  private serve(secret: SecretObject): void {
    const state = readTlsSecret(secret);
    if ("invalid" in state) return;
    const digest = `${state.serving.certPem}\0${state.serving.keyPem}`;
    if (digest === this.served) return;
    let material: TlsMaterial;
    try {
      material = loadTlsMaterial([state.serving.certPem, state.serving.keyPem]);
    } catch (err) {
      this.onError(err as Error);
      return;
    }
    const first = this.material === undefined;
    this.served = digest;
    this.material = material;
    if (!first) this.onChange(material);
  }

  private async reconcileOnce(): Promise<void> {
    if (this.closed) return;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [secret, webhook] = await Promise.all([this.options.secrets.get(), this.options.webhookConfiguration.get()]);
      try {
        const next = await this.advance(secret, webhook);
        if (next === "again") continue;
        this.schedule(next);
        return;
      } catch (err) {
        if (!(err instanceof ConflictError)) throw err;
        // Another replica wrote first: re-read and decide again.
      }
    }
    this.schedule(this.clock() + 1_000);
  }

  /** One write (then "again") or, when nothing is to be done now, when to look next. */
  private async advance(secret: SecretObject | undefined, webhook: WebhookConfigurationObject | undefined): Promise<number | "again"> {
    const now = this.clock();
    const state = secret === undefined ? { invalid: "absent" } : readTlsSecret(secret);
    if ("invalid" in state) {
      await this.write(secret, webhook, { kind: "issue", reason: state.invalid === "absent" ? "no Secret yet" : `the Secret is unusable (${state.invalid})` }, undefined);
      return "again";
    }
    this.serve(secret as SecretObject);
    const bundle = caBundleOf(state.trusted);
    const applied = webhook !== undefined && webhook.webhooks.length > 0 && webhook.webhooks.every((h) => h.clientConfig.caBundle === bundle);
    if (webhook !== undefined && !applied) {
      try {
        await this.options.webhookConfiguration.setCaBundle(webhook, bundle);
      } catch (err) {
        if (err instanceof ConflictError) this.options.metrics?.caBundleUpdates.inc({ result: "conflict" });
        throw err;
      }
      this.options.metrics?.caBundleUpdates.inc({ result: "ok" });
      this.options.logger.info({ webhookConfiguration: this.options.webhookConfigurationName, cas: state.trusted.length }, "caBundle updated from the TLS Secret");
      return "again";
    }
    const step = planRotation(state, now, applied, this.timing);
    if (step.kind === "wait") return step.until ?? now + (this.options.resyncMs ?? 60_000);
    await this.write(secret, webhook, step, state);
    return "again";
  }

  private async write(secret: SecretObject | undefined, webhook: WebhookConfigurationObject | undefined, step: Exclude<RotationStep, { kind: "wait" }>, state: TlsSecretState | undefined): Promise<void> {
    const now = this.clock();
    const fresh = async (): Promise<CertificateGeneration> => this.issue({ now, validityMs: this.options.validityMs, dnsNames: this.options.dnsNames });
    let content: TlsSecretContent;
    switch (step.kind) {
      case "issue": {
        const g = await fresh();
        content = { serving: g, trusted: [g.caPem] };
        break;
      }
      case "stage": {
        const g = await fresh();
        const s = state as TlsSecretState;
        content = { serving: s.serving, trusted: [...s.trusted, g.caPem], next: g, stagedAt: now };
        break;
      }
      case "promote": {
        const s = state as TlsSecretState;
        const next = s.next!;
        // The new CA goes first (it is "current" now); the old one stays trusted until retired.
        const nextCa = s.trusted[s.trusted.length - 1] as string;
        content = { serving: next, trusted: [nextCa, ...s.trusted.filter((c) => c !== nextCa)], promotedAt: now };
        break;
      }
      case "retire": {
        const s = state as TlsSecretState;
        content = { serving: s.serving, trusted: [s.trusted[0] as string] };
        break;
      }
    }
    const owner: OwnerReference[] =
      webhook?.metadata.uid !== undefined
        ? [{ apiVersion: "admissionregistration.k8s.io/v1", kind: "MutatingWebhookConfiguration", name: this.options.webhookConfigurationName, uid: webhook.metadata.uid }]
        : (secret?.metadata.ownerReferences ?? []);
    const body = tlsSecret(
      {
        name: this.options.secretName,
        namespace: this.options.namespace,
        ...(secret?.metadata.resourceVersion !== undefined && { resourceVersion: secret.metadata.resourceVersion }),
        ...(secret?.metadata.labels !== undefined && { labels: secret.metadata.labels }),
        ownerReferences: owner,
      },
      content,
    );
    let written: SecretObject;
    try {
      written = secret === undefined ? await this.options.secrets.create(body) : await this.options.secrets.replace(body);
    } catch (err) {
      if (err instanceof ConflictError) this.options.metrics?.selfTlsSteps.inc({ step: step.kind, result: "conflict" });
      throw err;
    }
    this.options.metrics?.selfTlsSteps.inc({ step: step.kind, result: "ok" });
    this.options.logger.info({ step: step.kind, ...("reason" in step && { reason: step.reason }), secret: `${this.options.namespace}/${this.options.secretName}` }, "self-issued TLS: Secret updated");
    this.serve(written);
  }
}
