import type { Logger, Scope } from "../contracts";
import type { Config } from "./config";
import type { FlagReader } from "./services/flags";

/** The caller: its user, the API key it came with (null for a session token), and what it may do. */
export type AuthUser = { id: string; email: string; role: "user" | "admin"; keyId: string | null; scopes: Scope[] };

/** The one Hono environment type: bindings plus the variables middleware sets. */
export type AppEnv = {
  Bindings: Env;
  /** `flags`: the feature flags as this deployment reads them (services/flags.ts). */
  Variables: { requestId: string; config: Config; flags: FlagReader; user: AuthUser; log: Logger };
};
