import { ApiError, problemOf } from "../../../client";

/** The data of an openapi-fetch answer, or its problem thrown as an ApiError. */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await call;
  // A success may have no body (202 Accepted, 204 No Content).
  if (response.ok) return data as T;
  throw new ApiError(await problemOf(response, error));
}
