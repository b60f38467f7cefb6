import { z } from "zod";

/**
 * The one-machine stack's egress proxy (`scripts/egress-proxy.ts`), through which the worker sends
 * webhooks when `EGRESS_PROXY_URL` is set: the worker POSTs the delivery (its headers and body) to
 * it, naming the receiver in `x-egress-target`; the proxy resolves the name itself, refuses an
 * address that is not public before connecting, and says what happened.
 */
export const EGRESS_TARGET_HEADER = "x-egress-target";
/** How long the receiver has to answer, in milliseconds. */
export const EGRESS_TIMEOUT_HEADER = "x-egress-timeout-ms";

/**
 * Cloud metadata addresses (they hand out the machine's credentials): refused even where a local
 * receiver is allowed (development). 169.254.0.0/16 is IPv4 link-local; AWS's IPv6 one is fd00:ec2::254.
 */
export const METADATA_RANGES = ["169.254.0.0/16", "fd00:ec2::254/128"] as const;

export const EgressResult = z.discriminatedUnion("outcome", [
  /** The receiver answered with this status (redirects are not followed). */
  z.object({ outcome: z.literal("answered"), status: z.number().int() }),
  /** Not sent: the name resolved to an address that is not public (or a metadata address). */
  z.object({ outcome: z.literal("refused"), reason: z.string() }),
  /** Sent, or tried, without an answer: no such name, no connection, TLS, timeout. */
  z.object({ outcome: z.literal("failed"), reason: z.string() }),
]);
export type EgressResult = z.infer<typeof EgressResult>;
