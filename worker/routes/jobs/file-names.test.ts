import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { JobResource, Upload } from "../../../contracts";
import { createUserWithKey, TINY_PNG } from "../../test/helpers";

const BOUNDARY = "----verbatim-file-names";

/** A multipart body as browsers send it: the file name in UTF-8 as it is (RFC 7578 §4.2), or as `filename*`. */
function formWith(disposition: string): Uint8Array {
  const head = new TextEncoder().encode(
    `--${BOUNDARY}\r\nContent-Disposition: form-data; name="file"; ${disposition}\r\nContent-Type: image/png\r\n\r\n`,
  );
  const tail = new TextEncoder().encode(`\r\n--${BOUNDARY}--\r\n`);
  const body = new Uint8Array(head.length + TINY_PNG.length + tail.length);
  body.set(head);
  body.set(TINY_PNG, head.length);
  body.set(tail, head.length + TINY_PNG.length);
  return body;
}

async function submit(auth: Record<string, string>, disposition: string) {
  const res = await SELF.fetch("https://api.test/v1/jobs", {
    method: "POST",
    body: formWith(disposition),
    headers: { ...auth, "content-type": `multipart/form-data; boundary=${BOUNDARY}` },
  });
  expect(res.status, await res.clone().text()).toBe(202);
  return JobResource.parse(await res.json()).file.name;
}

describe("file names", () => {
  it.each(["报告.png", "Отчёт за март.png", "تقرير.png", "📄 scan.png", "Rechnung 12 €.png", "naïve café.png"])(
    "keeps %s as sent, on the upload route and the multipart one",
    async (name) => {
      const { auth } = await createUserWithKey();
      expect(await submit(auth, `filename="${name}"`)).toBe(name);
      expect(await submit(auth, `filename*=UTF-8''${encodeURIComponent(name)}`)).toBe(name);
      const upload = await SELF.fetch("https://api.test/v1/uploads", {
        method: "POST",
        body: JSON.stringify({ file_name: name.replace(".png", ".pdf"), size: 6 * 1024 * 1024 }),
        headers: { ...auth, "content-type": "application/json" },
      });
      expect(upload.status).toBe(201);
      expect(Upload.parse(await upload.json()).file_name).toBe(name.replace(".png", ".pdf"));
    },
  );

  it("removes what would change how a name reads: bidi overrides, zero-width characters, controls, paths", async () => {
    const { auth } = await createUserWithKey();
    // "invoice\u202Efdp.png" shows as "invoicegnp.pdf" where the override is kept.
    expect(await submit(auth, 'filename="invoice\u202Efdp.png"')).toBe("invoicefdp.png");
    expect(await submit(auth, 'filename="pay\u200Bpal\u2066.png"')).toBe("paypal.png");
    expect(await submit(auth, 'filename="..\\\\..\\\\secret\tfile.png"')).toBe("secretfile.png");
    // Composed as NFC: "e" + combining acute is stored as "é".
    expect(await submit(auth, 'filename="cafe\u0301.png"')).toBe("caf\u00e9.png");
  });

  it("bounds a name to 255 bytes of UTF-8, cut between characters", async () => {
    const { auth } = await createUserWithKey();
    const name = await submit(auth, `filename="${"文".repeat(100)}.png"`);
    expect(new TextEncoder().encode(name).length).toBeLessThanOrEqual(255);
    expect(name).toBe("文".repeat(85));
  });
});
