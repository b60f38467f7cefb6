import { API_URL, ApiError, api, unwrap } from "../api/client";
import { createLiveJobs, type SocketLike } from "./live-jobs";

/** A ticket and a handshake that take longer than this count as failed (the poller takes over). */
const OPEN_TIMEOUT_MS = 10_000;

/** The page's live jobs: sockets opened with a single-use ticket (a browser cannot set headers on a WebSocket). */
export const liveJobs = createLiveJobs({
  async openSocket(id) {
    const { url } = await unwrap(
      api.POST("/v1/jobs/{id}/events/ticket", {
        params: { path: { id } },
        signal: AbortSignal.timeout(OPEN_TIMEOUT_MS),
      }),
    );
    const target = new URL(url, API_URL);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(target);
    await new Promise<void>((resolve, reject) => {
      const fail = () => {
        clearTimeout(timer);
        socket.close();
        reject(new Error("the job's live connection could not be opened"));
      };
      const timer = setTimeout(fail, OPEN_TIMEOUT_MS);
      socket.addEventListener(
        "open",
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
      socket.addEventListener("error", fail, { once: true });
    });
    const like: SocketLike = { onmessage: null, onclose: null, close: () => socket.close() };
    socket.addEventListener("message", (e) => like.onmessage?.(e));
    socket.addEventListener("close", () => like.onclose?.());
    return like;
  },
  fetchJob: (id) => unwrap(api.GET("/v1/jobs/{id}", { params: { path: { id } } })),
  // Not found, or no longer allowed: asking again will not change that (429 and 5xx may pass).
  isPermanent: (err) => err instanceof ApiError && [401, 403, 404].includes(err.problem.status),
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
