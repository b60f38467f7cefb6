import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../app-env";
import { ApiError } from "../errors";

/** The limiter's window (wrangler.toml `[[ratelimits]]` period): how long a refused caller waits at most. */
const PERIOD_S = 60;

/**
 * Requests per user, whichever of its keys or sessions sends them (more keys must not mean more
 * requests), through the Workers Rate Limiting binding (`API_RATE_LIMIT`, limit and period in
 * wrangler.toml); over it: 429 `rate_limited` with Retry-After. Runs after authentication.
 */
export const rateLimit = () =>
  createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const user = c.get("user");
    const { success } = await c.env.API_RATE_LIMIT.limit({ key: user.id });
    if (!success) {
      throw new ApiError("rate_limited", "this user sent too many requests (counted over all its keys and sessions)", {
        "retry-after": String(PERIOD_S),
      });
    }
    await next();
  });
