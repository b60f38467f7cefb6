import { ApiError } from "../../api/client";
import { explainError } from "../../format/status";

/**
 * A failed call or job, as support needs it: what happened (the code's title and the detail), what
 * to do (the catalog's action), and the request id to quote.
 */
export function ErrorNotice({ error, title }: { error: unknown; title?: string }) {
  const problem =
    error instanceof ApiError
      ? error.problem
      : {
          code: "internal_error",
          title: "Unexpected error",
          status: 0,
          request_id: "",
          detail: error instanceof Error ? error.message : String(error),
        };
  const { title: meaning, action } = explainError(problem.code);
  return (
    <div class="error-box" role="alert">
      <p>
        <strong>{title ?? meaning}</strong> <code class="code">{problem.code}</code>
      </p>
      {problem.detail && <p>{problem.detail}</p>}
      <p class="muted">{action}</p>
      {problem.request_id && (
        <p class="muted small">
          Request id: <code data-testid="request-id">{problem.request_id}</code>
        </p>
      )}
    </div>
  );
}
