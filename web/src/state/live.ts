import { API_URL, api, unwrap } from "../api/client";
import { createLiveJobs, type SocketLike } from "./live-jobs";

/** The page's live jobs: sockets opened with a single-use ticket (a browser cannot set headers on a WebSocket). */
export const liveJobs = createLiveJobs({
  async openSocket(id) {
    const { url } = await unwrap(api.POST("/v1/jobs/{id}/events/ticket", { params: { path: { id } } }));
    const target = new URL(url, API_URL);
    target.protocol = target.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(target);
    await new Promise<void>((resolve, reject) => {
      socket.addEventListener("open", () => resolve(), { once: true });
      socket.addEventListener("error", () => reject(new Error("the job's live connection could not be opened")), {
        once: true,
      });
    });
    const like: SocketLike = { onmessage: null, onclose: null, close: () => socket.close() };
    socket.addEventListener("message", (e) => like.onmessage?.(e));
    socket.addEventListener("close", () => like.onclose?.());
    return like;
  },
  fetchJob: (id) => unwrap(api.GET("/v1/jobs/{id}", { params: { path: { id } } })),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
});
