import { describe, expect, it } from "vitest";
import { outboundUrlProblem } from "./outbound-url";

const production = { production: true, allowPrivate: false };
const development = { production: false, allowPrivate: true };

describe("outboundUrlProblem", () => {
  it.each([
    // Names that stay on this machine or its network.
    ["https://intranet/hook", "single label"],
    ["https://localhost./hook", "local name"],
    ["https://printer.local/hook", "local name"],
    ["https://db.internal./hook", "local name"],
    ["https://router.home.arpa/hook", "local name"],
    // Addresses however spelled: IPv4 forms the URL parser reads, IPv6 hiding an IPv4, NAT64, special ranges.
    ["https://127.1/hook", "loopback"],
    ["https://0x7f000001/hook", "loopback"],
    ["https://[::127.0.0.1]/hook", "loopback"],
    ["https://[::ffff:7f00:1]/hook", "loopback"],
    ["https://[64:ff9b::7f00:1]/hook", "rfc6052"],
    ["https://[2002:7f00:1::]/hook", "6to4"],
    ["https://198.18.0.1/hook", "reserved"],
    ["https://100.64.0.1/hook", "carrierGradeNat"],
    ["https://192.168.1.10/hook", "private"],
    ["https://[fe80::1]/hook", "linkLocal"],
    ["https://[fd12::1]/hook", "uniqueLocal"],
    ["https://0.0.0.0/hook", "unspecified"],
    ["https://169.254.169.254/latest", "metadata"],
  ])("refuses %s (%s)", (url, reason) => {
    expect(outboundUrlProblem(url, production)).toContain(reason);
  });

  it.each([
    "https://hooks.example.com/in",
    "https://8.8.8.8/in",
    "https://[2606:4700::1111]/in",
    "https://example.com./in",
  ])("lets %s through", (url) => {
    expect(outboundUrlProblem(url, production)).toBeNull();
  });

  it("lets a local receiver through in development, never a cloud metadata address", () => {
    expect(outboundUrlProblem("http://127.0.0.1:9000/in", development)).toBeNull();
    expect(outboundUrlProblem("http://receiver/in", development)).toBeNull();
    expect(outboundUrlProblem("http://169.254.169.254/latest/meta-data", development)).toContain("metadata");
    expect(outboundUrlProblem("http://[fd00:ec2::254]/latest", development)).toContain("metadata");
    expect(outboundUrlProblem("http://[::ffff:169.254.169.254]/latest", development)).toContain("metadata");
  });

  it("names the setting that allows a local receiver when it is refused in development, and only there", () => {
    const refused = { production: false, allowPrivate: false };
    for (const url of ["http://127.0.0.1:9000/in", "http://receiver/in", "http://printer.local/in"]) {
      expect(outboundUrlProblem(url, refused)).toMatch(/set WEBHOOK_ALLOW_PRIVATE=true$/);
      expect(outboundUrlProblem(url.replace("http:", "https:"), production)).not.toMatch(/WEBHOOK_ALLOW_PRIVATE/);
    }
    expect(outboundUrlProblem("http://169.254.169.254/latest", refused)).not.toMatch(/WEBHOOK_ALLOW_PRIVATE/);
  });
});
