/**
 * A record of lifecycle events (tokens and leases created, renewed, revoked, expired) so tests can
 * assert what happened behind the HTTP surface, e.g. "the agent revoked its leases, then its token".
 * IDs are accessors and lease IDs, never token IDs.
 */
export type SimEventType =
  | "token.created"
  | "token.renewed"
  | "token.revoked"
  | "token.expired"
  | "lease.created"
  | "lease.renewed"
  | "lease.revoked"
  | "lease.expired";

export interface SimEvent {
  /** Sim time, epoch ms. */
  readonly time: number;
  readonly type: SimEventType;
  /** Token accessor (token events, and the owning token of lease events when known). */
  readonly accessor?: string;
  readonly leaseId?: string;
  readonly path?: string;
  /** Why it ended: `revoke-self`, `sys/leases/revoke`, `expired`, `parent revoked`, `sim control`, … */
  readonly reason?: string;
  /** New TTL in seconds for `*.created` / `*.renewed`. */
  readonly ttl?: number;
}

export class EventLog {
  private readonly items: SimEvent[] = [];
  constructor(private readonly limit = 100_000) {}

  push(event: SimEvent): void {
    this.items.push(event);
    if (this.items.length > this.limit) this.items.splice(0, this.items.length - this.limit);
  }

  list(filter: { type?: SimEventType; accessor?: string; leaseId?: string } = {}): SimEvent[] {
    return this.items.filter(
      (e) =>
        (filter.type === undefined || e.type === filter.type) &&
        (filter.accessor === undefined || e.accessor === filter.accessor) &&
        (filter.leaseId === undefined || e.leaseId === filter.leaseId),
    );
  }

  clear(): void {
    this.items.length = 0;
  }
}
