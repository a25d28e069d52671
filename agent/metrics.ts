/**
 * Prometheus text exposition (format 0.0.4), hand-rolled: prom-client would add private memory and
 * start time to every pod (docs/agent.md, "Metrics"), for a dozen series the agent can print itself.
 */
import type { LifecycleView } from "./lifecycle/index.js";

type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: "counter" | "gauge";
  readonly samples: readonly (readonly [Labels, number])[];
}

function escapeLabel(value: string): string {
  return value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

export function exposition(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const [labels, value] of f.samples) {
      const l = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
      lines.push(`${f.name}${l.length > 0 ? `{${l.join(",")}}` : ""} ${formatValue(value)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

/** Counters kept outside the state machine (requests seen by the transport and the endpoint). */
export class RequestCounters {
  readonly vault = new Map<string, number>();
  readonly endpoint = new Map<string, number>();

  count(map: Map<string, number>, key: string): void {
    map.set(key, (map.get(key) ?? 0) + 1);
  }
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function renderMetrics(machine: LifecycleView, counters: RequestCounters, now: number): string {
  const snapshot = machine.snapshot(now);
  const creds = [...snapshot.credentials.values()];
  const per = (pick: (c: (typeof creds)[number]) => number | undefined): [Labels, number][] =>
    creds.flatMap((c) => {
      const v = pick(c);
      return v === undefined ? [] : [[{ credential: c.spec.name }, v] as [Labels, number]];
    });
  const split = (map: Map<string, number>, label: string, second: string): [Labels, number][] =>
    [...map].map(([key, n]) => {
      const [a = "", b = ""] = key.split(" ");
      return [{ [label]: a, [second]: b }, n];
    });
  const { vault, files } = snapshot;
  const mem = process.memoryUsage();
  const cpu = process.cpuUsage();
  return exposition([
    { name: "avi_agent_ready", help: "1 once every credential was written at least once.", type: "gauge", samples: [[{}, snapshot.ready ? 1 : 0]] },
    { name: "avi_agent_credential_expiry_timestamp_seconds", help: "When the served credential stops being valid (lease end).", type: "gauge", samples: per((c) => (c.version === undefined ? undefined : Math.min(seconds(c.version.validUntil), Number.MAX_SAFE_INTEGER))).filter(([, v]) => Number.isFinite(v)) },
    { name: "avi_agent_credential_expiration_served_timestamp_seconds", help: "The Expiration served to SDKs (see docs/agent.md).", type: "gauge", samples: per((c) => (c.expiration === undefined || !Number.isFinite(c.expiration) ? undefined : seconds(c.expiration))) },
    { name: "avi_agent_credential_version", help: "Version of the served credential (increments on rotation).", type: "gauge", samples: per((c) => c.version?.seq) },
    { name: "avi_agent_credential_fetches_total", help: "Credentials fetched from Vault (first fetch, rotations, re-reads).", type: "counter", samples: per((c) => c.stats.fetches) },
    { name: "avi_agent_credential_rotations_total", help: "Times a new credential replaced the served one.", type: "counter", samples: per((c) => c.stats.rotations) },
    { name: "avi_agent_credential_renewals_total", help: "Lease renewals.", type: "counter", samples: per((c) => c.stats.renewals) },
    { name: "avi_agent_credential_failures_total", help: "Failed fetches and renewals.", type: "counter", samples: per((c) => c.stats.failures) },
    { name: "avi_agent_credential_stale", help: "1 while the last refresh of the credential failed.", type: "gauge", samples: per((c) => (c.lastError === undefined ? 0 : 1)) },
    { name: "avi_agent_vault_logins_total", help: "Vault logins by result.", type: "counter", samples: [[{ result: "success" }, vault.stats.logins], [{ result: "failure" }, vault.stats.loginFailures]] },
    { name: "avi_agent_vault_token_renewals_total", help: "Vault token renewals by result.", type: "counter", samples: [[{ result: "success" }, vault.stats.renewals], [{ result: "failure" }, vault.stats.renewFailures]] },
    { name: "avi_agent_vault_token_expiry_timestamp_seconds", help: "When the current Vault token expires.", type: "gauge", samples: vault.tokenExpiresAt !== undefined && Number.isFinite(vault.tokenExpiresAt) ? [[{}, seconds(vault.tokenExpiresAt)]] : [] },
    { name: "avi_agent_vault_requests_total", help: "HTTP requests to Vault by method and outcome (status or error code).", type: "counter", samples: split(counters.vault, "method", "outcome") },
    { name: "avi_agent_endpoint_requests_total", help: "Loopback endpoint requests by credential and status.", type: "counter", samples: split(counters.endpoint, "credential", "code") },
    { name: "avi_agent_file_write_failures_total", help: "Failed writes of the credential files.", type: "counter", samples: [[{}, files.failures]] },
    { name: "avi_agent_file_write_consecutive_failures", help: "Failed writes of the credential files since the last successful one.", type: "gauge", samples: [[{}, files.consecutiveFailures]] },
    { name: "process_resident_memory_bytes", help: "Resident memory size in bytes.", type: "gauge", samples: [[{}, mem.rss]] },
    { name: "process_cpu_seconds_total", help: "Total user and system CPU time spent in seconds.", type: "counter", samples: [[{}, (cpu.user + cpu.system) / 1e6]] },
    { name: "process_start_time_seconds", help: "Start time of the process since unix epoch in seconds.", type: "gauge", samples: [[{}, seconds(now - process.uptime() * 1000)]] },
  ]);
}
