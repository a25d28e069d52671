/**
 * `host:port` listen addresses for the simulators, restricted to loopback: they are development and
 * test doubles (like `vault server -dev`) and must never be reachable from the network.
 */
import { isIP } from "node:net";

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export class ListenAddressError extends Error {
  override readonly name = "ListenAddressError";
}

export function isLoopbackHost(host: string): boolean {
  if (host === "localhost") return true;
  if (isIP(host) === 4) return host.startsWith("127.");
  if (isIP(host) === 6) return host === "::1" || host === "0:0:0:0:0:0:0:1";
  return false;
}

/** Parse `127.0.0.1:8200`, `[::1]:8200`, `localhost:0`; reject anything not on loopback. */
export function parseListenAddress(text: string): ListenAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text.trim());
  if (m === null) throw new ListenAddressError(`listen address ${JSON.stringify(text)}: use host:port, e.g. 127.0.0.1:8200 (port 0 picks a free one)`);
  const host = m[1] ?? m[2]!;
  const port = Number(m[3]);
  if (port > 65_535) throw new ListenAddressError(`listen address ${JSON.stringify(text)}: port ${port} is out of range (0-65535)`);
  if (!isLoopbackHost(host)) {
    throw new ListenAddressError(
      `listen address ${JSON.stringify(text)}: the simulator binds to loopback only (127.0.0.1, ::1 or localhost); it is a development/test double, not a Vault server`,
    );
  }
  return { host, port };
}
