import { Container } from "@cloudflare/containers";

/**
 * The media runner (container/Dockerfile) as a Cloudflare Container, in production. Each instance is
 * a stateless runner; consumers spread work over `RUNNER_INSTANCES` of them. Locally the same server
 * runs as a plain process at `RUNNER_URL` and this class is not bound.
 */
export class MediaRunner extends Container {
  override defaultPort = 8788;
  override sleepAfter = "10m";
  override envVars: Record<string, string> = { HOST: "0.0.0.0", PORT: "8788", OMP_THREAD_LIMIT: "1" };
}
