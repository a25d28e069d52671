/** `token_bound_cidrs` checks: whether a client address falls inside any of the CIDRs. */
import { BlockList, isIPv6 } from "node:net";

/** Plain IPs count as /32 or /128; IPv4-mapped IPv6 addresses are compared as IPv4. */
export function cidrAllows(cidrs: readonly string[], address: string): boolean {
  const list = new BlockList();
  for (const cidr of cidrs) {
    const [ip, bits] = cidr.split("/");
    if (ip === undefined) continue;
    const family = isIPv6(ip) ? "ipv6" : "ipv4";
    list.addSubnet(ip, bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits), family);
  }
  const plain = address.replace(/^::ffff:/, "");
  return list.check(plain, isIPv6(plain) ? "ipv6" : "ipv4");
}
