import type { Logger, Scope } from "../contracts";
import type { Config } from "./config";

/** The caller: its user, the API key it came with (null for a session token), and what it may do. */
export type AuthUser = { id: string; email: string; role: "user" | "admin"; keyId: string | null; scopes: Scope[] };

/** The one Hono environment type: bindings plus the variables middleware sets. */
export type AppEnv = {
  Bindings: Env;
  Variables: { requestId: string; config: Config; user: AuthUser; log: Logger };
};
