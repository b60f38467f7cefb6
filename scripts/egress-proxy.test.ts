import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo, LookupFunction } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EGRESS_TARGET_HEADER, EGRESS_TIMEOUT_HEADER, EgressResult } from "../contracts/egress";
import { createEgressProxy } from "./egress-proxy";

/**
 * The egress proxy with real sockets: a receiver on this machine's loopback, and names that resolve
 * to it (or elsewhere) through a lookup of the test's own, as a wildcard DNS name such as
 * 127.0.0.1.nip.io or a line in /etc/hosts would.
 */
const NAMES: Record<string, string[]> = {
  "hooks.example.test": ["127.0.0.1"],
  "mapped.example.test": ["::ffff:127.0.0.1"],
  "metadata.example.test": ["169.254.169.254"],
  // One public address, one private: the name is refused as a whole.
  "mixed.example.test": ["93.184.215.14", "127.0.0.1"],
};
const lookup = ((hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
  const addresses = NAMES[hostname];
  if (!addresses) {
    callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }));
    return;
  }
  const all = addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  if (options.all) callback(null, all);
  else callback(null, all[0]?.address, all[0]?.family);
}) as unknown as LookupFunction;

let receiver: Server;
let receiverPort = 0;
const received: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
const proxies: Server[] = [];

beforeAll(async () => {
  receiver = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
    if (req.url === "/slow") return; // never answers
    const moved = req.url === "/moved";
    res.writeHead(moved ? 302 : 204, moved ? { location: "http://x.test/" } : {}).end();
  });
  await new Promise<void>((done) => receiver.listen(0, "127.0.0.1", done));
  receiverPort = (receiver.address() as AddressInfo).port;
});
afterAll(() => {
  receiver.closeAllConnections();
  receiver.close();
  for (const proxy of proxies) proxy.close();
});

async function proxy(allowPrivate: boolean) {
  const server = createEgressProxy({ allowPrivate, lookup });
  proxies.push(server);
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/deliver`;
  return async (target: string, timeoutMs = 5_000) => {
    const res = await fetch(url, {
      method: "POST",
      body: '{"type":"job.succeeded"}',
      headers: {
        "content-type": "application/json",
        "webhook-id": "evt_1",
        [EGRESS_TARGET_HEADER]: target,
        [EGRESS_TIMEOUT_HEADER]: String(timeoutMs),
      },
    });
    expect(res.status).toBe(200);
    return EgressResult.parse(await res.json());
  };
}

describe("egress proxy", () => {
  it("refuses a public-looking name that resolves to this machine, before connecting", async () => {
    const deliver = await proxy(false);
    const before = received.length;
    for (const name of ["hooks.example.test", "mapped.example.test", "mixed.example.test"]) {
      expect(await deliver(`http://${name}:${receiverPort}/`), name).toEqual({
        outcome: "refused",
        reason: "the name resolves to an address that is not public",
      });
    }
    expect(await deliver(`http://127.0.0.1:${receiverPort}/`)).toMatchObject({ outcome: "refused" });
    expect(received.length).toBe(before); // nothing reached the receiver
  });

  it("says the same of an open port and a closed one on this machine", async () => {
    const deliver = await proxy(false);
    const open = await deliver(`http://hooks.example.test:${receiverPort}/`);
    const closed = await deliver("http://hooks.example.test:9/");
    expect(closed).toEqual(open);
  });

  it("in development lets a local receiver through, with the delivery's headers and body, and no redirect followed", async () => {
    const deliver = await proxy(true);
    expect(await deliver(`http://hooks.example.test:${receiverPort}/hook`)).toEqual({
      outcome: "answered",
      status: 204,
    });
    const last = received.at(-1);
    expect(last?.body).toBe('{"type":"job.succeeded"}');
    expect(last?.headers["webhook-id"]).toBe("evt_1");
    expect(last?.headers[EGRESS_TARGET_HEADER]).toBeUndefined();
    expect(last?.headers.host).toBe(`hooks.example.test:${receiverPort}`);
    expect(await deliver(`http://hooks.example.test:${receiverPort}/moved`)).toEqual({
      outcome: "answered",
      status: 302,
    });
  });

  it("never reaches a metadata address, even in development", async () => {
    const deliver = await proxy(true);
    expect(await deliver("http://metadata.example.test/latest/meta-data/")).toMatchObject({ outcome: "refused" });
    expect(await deliver("http://169.254.169.254/latest/meta-data/")).toMatchObject({ outcome: "refused" });
  });

  it("says what went wrong without an answer: no such name, refused, timeout", async () => {
    const deliver = await proxy(true);
    expect(await deliver("http://nowhere.example.test/")).toEqual({
      outcome: "failed",
      reason: "the name does not resolve",
    });
    expect(await deliver("http://hooks.example.test:9/")).toEqual({
      outcome: "failed",
      reason: "the connection was refused",
    });
    expect(await deliver(`http://hooks.example.test:${receiverPort}/slow`, 300)).toEqual({
      outcome: "failed",
      reason: "no answer within 0.3 s",
    });
  });
});
