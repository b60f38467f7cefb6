import * as dns from "node:dns";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { RequestFilteringHttpAgent, RequestFilteringHttpsAgent } from "request-filtering-agent";
import { EGRESS_TARGET_HEADER, EGRESS_TIMEOUT_HEADER, type EgressResult } from "../contracts/egress";
import { isMetadataAddress, outboundUrlProblem } from "../worker/lib/outbound-url";

/** A delivery's body is a webhook event: small. */
const MAX_BODY_BYTES = 1024 * 1024;
const DEFAULT_TIMEOUT_MS = 10_000;
/** Headers of the worker's request that are not the delivery's. */
const OWN_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  EGRESS_TARGET_HEADER,
  EGRESS_TIMEOUT_HEADER,
]);

export type EgressProxyOptions = {
  /** Development only (WEBHOOK_ALLOW_PRIVATE): a receiver on this machine or its network is allowed. */
  allowPrivate: boolean;
  /** Name resolution (tests give their own; by default the system's, `dns.lookup`). */
  lookup?: LookupFunction;
};

/**
 * Where the one-machine stack's worker sends webhooks from (`EGRESS_PROXY_URL`). On Cloudflare a
 * Worker's fetch leaves from Cloudflare's network; here it would leave from this machine, whose
 * loopback and network hold the runner, the API and whatever else runs beside them. The worker's
 * own URL check judges the URL as written; this proxy resolves the name itself and checks the
 * address it connects to (request-filtering-agent: only public unicast, never a metadata address,
 * every address of the name), so a public-looking name that resolves to this machine
 * (`127.0.0.1.nip.io`, a name in /etc/hosts) is refused before any connection. Cloud metadata
 * addresses are refused even in development. Redirects are not followed. It answers every delivery
 * with an EgressResult.
 */
export function createEgressProxy({ allowPrivate, lookup = dns.lookup as LookupFunction }: EgressProxyOptions) {
  const filter = { allowPrivateIPAddress: allowPrivate };
  const agents = { http: new RequestFilteringHttpAgent(filter), https: new RequestFilteringHttpsAgent(filter) };
  return createServer((req, res) => {
    if (req.method !== "POST" || req.url !== "/deliver") {
      res.writeHead(404).end();
      return;
    }
    void deliver(req, { agents, lookup: refusingMetadata(lookup), allowPrivate }).then((result) => reply(res, result));
  });
}

class NotPublic extends Error {}

/**
 * A lookup that fails for a name with a cloud metadata address among its addresses (the filtering
 * agent, which lets private addresses through in development, then never connects to it).
 */
function refusingMetadata(lookup: LookupFunction): LookupFunction {
  return ((hostname: string, options: dns.LookupOptions, callback: (...args: unknown[]) => void) =>
    lookup(hostname, options, (err, address, family) => {
      if (err) return callback(err);
      const addresses = Array.isArray(address) ? address.map((a) => a.address) : [address];
      if (addresses.some(isMetadataAddress)) return callback(new NotPublic(`${hostname}: a metadata address`));
      callback(null, address, family);
    })) as LookupFunction;
}

function reply(res: ServerResponse, result: EgressResult) {
  res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(result));
}

async function deliver(
  req: IncomingMessage,
  {
    agents,
    lookup,
    allowPrivate,
  }: {
    agents: { http: RequestFilteringHttpAgent; https: RequestFilteringHttpsAgent };
    lookup: LookupFunction;
    allowPrivate: boolean;
  },
): Promise<EgressResult> {
  const written = String(req.headers[EGRESS_TARGET_HEADER]);
  // The worker's own check of the URL as written, once more (address literals never reach a lookup).
  const problem = outboundUrlProblem(written, { production: false, allowPrivate });
  if (problem) return { outcome: "refused", reason: problem };
  const target = new URL(written);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return { outcome: "refused", reason: "the body is too large" };
    chunks.push(chunk as Buffer);
  }
  const body = Buffer.concat(chunks);
  const headers = Object.fromEntries(Object.entries(req.headers).filter(([name]) => !OWN_HEADERS.has(name)));
  const timeoutMs = Number(req.headers[EGRESS_TIMEOUT_HEADER]) || DEFAULT_TIMEOUT_MS;
  const https = target.protocol === "https:";
  return new Promise<EgressResult>((done) => {
    const out = (https ? httpsRequest : httpRequest)(
      target,
      {
        method: "POST",
        agent: https ? agents.https : agents.http,
        headers: { ...headers, "content-length": String(body.length) },
        lookup,
      },
      (answer) => {
        answer.resume();
        done({ outcome: "answered", status: answer.statusCode ?? 0 });
      },
    );
    const timer = setTimeout(() => {
      out.destroy();
      done({ outcome: "failed", reason: `no answer within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    out.on("close", () => clearTimeout(timer));
    out.on("error", (err: NodeJS.ErrnoException) => done(failure(err)));
    out.end(body);
  });
}

/** What a user may be told of a delivery that got no answer: what to fix, not what is behind the name. */
function failure(err: NodeJS.ErrnoException): EgressResult {
  if (err instanceof NotPublic || /is not allowed/.test(err.message)) {
    return { outcome: "refused", reason: "the name resolves to an address that is not public" };
  }
  const code = err.code ?? "";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return { outcome: "failed", reason: "the name does not resolve" };
  if (code === "ECONNREFUSED") return { outcome: "failed", reason: "the connection was refused" };
  if (code === "ECONNRESET" || code === "EPIPE") return { outcome: "failed", reason: "the connection was reset" };
  if (code.startsWith("ERR_TLS") || code.includes("CERT") || code.startsWith("ERR_SSL")) {
    return { outcome: "failed", reason: `TLS failed (${code})` };
  }
  return { outcome: "failed", reason: "could not connect" };
}
