import ipaddr from "ipaddr.js";
import { METADATA_RANGES } from "../../contracts/egress";

/** Names that stay on this machine or its network, whatever they resolve to. */
const LOCAL_SUFFIXES = [".localhost", ".local", ".internal", ".home.arpa", ".lan", ".intranet", ".corp"];
const METADATA = METADATA_RANGES.map((range) => ipaddr.parseCIDR(range));

/**
 * Where the platform may send requests on a user's behalf (webhooks): not to itself, the machine
 * or the network it runs in, judged from the URL as written (checked at registration and again
 * before every delivery; redirects are not followed). Any address literal, however it is spelled
 * (IPv4 in any form the URL parser reads, IPv6 with an IPv4 inside: mapped, compatible, NAT64,
 * 6to4), must be a public unicast address (ipaddr.js's ranges: the IANA special-purpose ones, e.g.
 * 198.18.0.0/15 and 100.64.0.0/10, are not); a name must have a dot and not be a local one (trailing
 * dots ignored). `allowPrivate` (development only) lets a local receiver through, never a metadata
 * address. A public-looking name that resolves to a private address is not caught here: that needs
 * the address actually connected to, which a Worker's fetch does not expose; on one machine the
 * egress proxy (`scripts/egress-proxy.ts`) checks it.
 */
export function outboundUrlProblem(
  value: string,
  { production, allowPrivate }: { production: boolean; allowPrivate: boolean },
): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "not a URL";
  }
  if (url.protocol !== "https:" && (production || url.protocol !== "http:")) return "the URL must use https";
  if (url.username || url.password) return "the URL must not carry credentials";
  const host = url.hostname
    .toLowerCase()
    .replace(/^\[|\]$/g, "")
    .replace(/\.+$/, "");
  // Where a local receiver could be allowed (development), the refusal says how.
  const local = (why: string) =>
    production ? why : `${why}; for a receiver on this machine in development, set WEBHOOK_ALLOW_PRIVATE=true`;
  if (ipaddr.isValid(host)) {
    if (isMetadataAddress(host)) return `${host} is a cloud metadata address`;
    if (allowPrivate) return null;
    const range = withEmbeddedIPv4(ipaddr.process(host)).range();
    return range === "unicast"
      ? null
      : local(`${host} is not a public address (${range}: private, loopback, reserved or special-purpose)`);
  }
  if (allowPrivate) return null;
  if (!host.includes(".")) return local(`${host} is a local name (a single label)`);
  if (LOCAL_SUFFIXES.some((suffix) => host.endsWith(suffix)) || host === "localhost") {
    return local(`${host} is a local name`);
  }
  return null;
}

/** Whether an address (as written in a URL or returned by a resolver) is a cloud metadata address. */
export function isMetadataAddress(host: string): boolean {
  if (!ipaddr.isValid(host)) return false;
  const address = withEmbeddedIPv4(ipaddr.process(host));
  return METADATA.some(([range, bits]) => address.kind() === range.kind() && address.match(range, bits));
}

/**
 * An IPv4-compatible IPv6 address (::a.b.c.d, deprecated, which the URL parser writes as ::7f00:1)
 * as the IPv4 address it holds; any other address as it is (IPv4-mapped ones are already turned
 * into IPv4 by ipaddr.process; NAT64 and 6to4 have ranges of their own).
 */
function withEmbeddedIPv4(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  if (address.kind() !== "ipv6") return address;
  const parts = (address as ipaddr.IPv6).parts;
  if (parts.slice(0, 6).some((part) => part !== 0) || parts.every((part) => part === 0)) return address;
  const [high = 0, low = 0] = parts.slice(6);
  return ipaddr.fromByteArray([high >> 8, high & 0xff, low >> 8, low & 0xff]);
}
