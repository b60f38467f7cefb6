import type { Logger } from "../contracts";
import type { Config } from "./config";

export type AuthUser = { id: string; email: string; role: "user" | "admin" };

/** The one Hono environment type: bindings plus the variables middleware sets. */
export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; config: Config; user: AuthUser; log: Logger };
};
