import type { RunnerEvent } from "../contracts/runner";

type Emit = (event: RunnerEvent) => void;

/**
 * A streaming `application/x-ndjson` response: each event `produce` emits is sent at once as one line, and the
 * response ends when `produce` settles. `onCancel` runs if the client stops reading (it disconnected).
 */
export function ndjsonResponse(produce: (emit: Emit) => Promise<void>, onCancel: () => void): Response {
  const encoder = new TextEncoder();
  let open = true;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      const emit: Emit = (event) => {
        if (open) controller.enqueue(encoder.encode(`${JSON.stringify(event)}\n`));
      };
      const finish = (error?: unknown) => {
        if (!open) return;
        open = false;
        if (error === undefined) controller.close();
        else controller.error(error);
      };
      produce(emit).then(() => finish(), finish);
    },
    cancel() {
      open = false;
      onCancel();
    },
  });
  return new Response(body, {
    status: 200,
    headers: { "content-type": "application/x-ndjson", "cache-control": "no-store" },
  });
}
