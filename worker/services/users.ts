import { eq } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import type { AdminUser } from "../../contracts";
import { users } from "../db/schema";
import { ApiError } from "../errors";

/** The user with this email, if any (emails are stored in lower case), as an admin sees it. */
export async function usersWithEmail(db: D1Database, email: string): Promise<AdminUser[]> {
  return drizzle(db)
    .select({ id: users.id, email: users.email, role: users.role, created_at: users.created_at })
    .from(users)
    .where(eq(users.email, email))
    .all();
}

/** Refuses with `not_found` unless the user exists. */
export async function assertUserExists(db: D1Database, userId: string): Promise<void> {
  const found = await drizzle(db).select({ id: users.id }).from(users).where(eq(users.id, userId)).get();
  if (!found) throw new ApiError("not_found", `no user ${userId}`);
}
