import { describe, expect, it } from "vitest";
import { readForm } from "./multipart-form";

const BOUNDARY = "xYzBoundary";
const encoder = new TextEncoder();
const KiB = 1024;
const LIMIT = 100 * 1024 * KiB;

/** A request whose body the test writes chunk by chunk; `waiting()` is how many chunks are not read yet. */
function controlledRequest() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
    },
    { highWaterMark: 0 },
  );
  const request = new Request("https://api.test/v1/jobs", {
    method: "POST",
    body,
    headers: { "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
    // @ts-expect-error a streamed request body
    duplex: "half",
  });
  return {
    request,
    waiting: () => -(controller.desiredSize ?? 0),
    send: (bytes: Uint8Array | string) => controller.enqueue(typeof bytes === "string" ? encoder.encode(bytes) : bytes),
    end: () => controller.close(),
  };
}

const fileHead = (name: string) =>
  `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`;

describe("readForm", () => {
  it("hands the file over while the body is still arriving", async () => {
    const body = controlledRequest();
    let seenBeforeEnd = 0;
    let resolveSeen!: () => void;
    const seen = new Promise<void>((resolve) => {
      resolveSeen = resolve;
    });
    const reading = readForm(body.request, "file", LIMIT, async (file) => {
      let total = 0;
      for await (const chunk of file.stream) {
        total += chunk.length;
        if (total >= 256 * KiB && !seenBeforeEnd) {
          seenBeforeEnd = total;
          resolveSeen();
        }
      }
      return { name: file.name, total };
    });
    body.send(fileHead("scan.png"));
    // (The file is handed on in pieces of 256 KiB.)
    for (let i = 0; i < 8; i++) body.send(new Uint8Array(64 * KiB).fill(i));
    // The body is not finished, yet the file's bytes have reached its reader.
    await seen;
    expect(seenBeforeEnd).toBeGreaterThanOrEqual(256 * KiB);
    body.send(`\r\n--${BOUNDARY}\r\nContent-Disposition: form-data; name="options"\r\n\r\n{"language":"deu"}\r\n`);
    body.send(`--${BOUNDARY}--\r\n`);
    body.end();
    expect(await reading).toEqual({
      fields: { options: '{"language":"deu"}' },
      file: { name: "scan.png", total: 512 * KiB },
    });
  });

  it("reads the body no faster than the file is consumed", async () => {
    const body = controlledRequest();
    let release!: () => void;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const reading = readForm(body.request, "file", LIMIT, async (file) => {
      await held; // a slow store: nothing is read from the file until released
      let total = 0;
      for await (const chunk of file.stream) total += chunk.length;
      return total;
    });
    body.send(fileHead("big.png"));
    // Offer 8 MiB in 256 KiB chunks, far more than the 1 MiB the file's queue may hold.
    for (let i = 0; i < 32; i++) body.send(new Uint8Array(256 * KiB));
    await new Promise((resolve) => setTimeout(resolve, 200));
    // The reader took about what the file's queue holds (1 MiB: 4 chunks, and one in hand), not the 8 MiB on offer.
    expect(body.waiting()).toBeGreaterThanOrEqual(32 - 8);
    release();
    body.send(`\r\n--${BOUNDARY}--\r\n`);
    body.end();
    expect((await reading).file).toBe(8 * 1024 * KiB);
  });

  it("reads the closing boundary split anywhere between reads, and ignores what follows it", async () => {
    const closing = `\r\n--${BOUNDARY}--\r\n`;
    for (let split = 1; split < closing.length; split++) {
      const body = controlledRequest();
      const reading = readForm(body.request, "file", LIMIT, async (file) => new Response(file.stream).text());
      body.send(`${fileHead("a.png")}abc`);
      body.send(closing.slice(0, split));
      body.send(closing.slice(split));
      // An epilogue that looks like another part is not one.
      body.send(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="options"\r\n\r\nlate\r\n--${BOUNDARY}--\r\n`);
      body.end();
      expect(await reading, `split at ${split}`).toEqual({ fields: {}, file: "abc" });
    }
  });

  it("refuses a body larger than the limit, whatever its parts are called", async () => {
    const body = controlledRequest();
    const reading = readForm(body.request, "file", 64 * KiB, async () => "never");
    body.send(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="other"; filename="x.bin"\r\n\r\n`);
    for (let i = 0; i < 16; i++) body.send(new Uint8Array(16 * KiB));
    body.send(`\r\n--${BOUNDARY}--\r\n`);
    body.end();
    await expect(reading).rejects.toMatchObject({ code: "payload_too_large" });
  });

  it("refuses a second file, and a body cut short", async () => {
    const two = controlledRequest();
    const drain = async (file: { stream: ReadableStream<Uint8Array> }) => {
      for await (const _ of file.stream);
    };
    const refused = readForm(two.request, "file", LIMIT, drain);
    two.send(`${fileHead("a.png")}aaa\r\n${fileHead("b.png")}bbb\r\n--${BOUNDARY}--\r\n`);
    two.end();
    await expect(refused).rejects.toMatchObject({
      code: "validation_failed",
      message: expect.stringMatching(/one `file`/),
    });

    const cut = controlledRequest();
    const cutShort = readForm(cut.request, "file", LIMIT, drain);
    cut.send(`${fileHead("a.png")}aaa`);
    cut.end();
    await expect(cutShort).rejects.toMatchObject({
      code: "validation_failed",
      message: expect.stringMatching(/closing boundary/),
    });
  });
});
