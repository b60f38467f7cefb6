/**
 * Where the platform may send requests on a user's behalf (webhooks): not to itself, the machine
 * or the network it runs in. Checked at registration and again before every delivery (redirects
 * are not followed). `allowPrivate` (development only) lets a local receiver on 127.0.0.1 through.
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
  if (allowPrivate) return null;
  const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (host === "localhost" || host.endsWith(".localhost") || host.endsWith(".internal") || host.endsWith(".local")) {
    return `${host} is a local name`;
  }
  if (isPrivateIPv4(host) || isPrivateIPv6(host))
    return `${host} is a private, loopback, link-local or metadata address`;
  return null;
}

function isPrivateIPv4(host: string): boolean {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p))) return false;
  const [a = 0, b = 0] = parts.map(Number);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata (169.254.169.254)
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    a >= 224 // multicast and reserved
  );
}

function isPrivateIPv6(host: string): boolean {
  if (!host.includes(":")) return false;
  if (host === "::" || host === "::1") return true;
  if (host.startsWith("::ffff:")) return true; // IPv4-mapped: judged as the IPv4 it hides would be, refused
  return /^(fc|fd|fe8|fe9|fea|feb|ff)/.test(host); // unique-local, link-local, multicast
}
