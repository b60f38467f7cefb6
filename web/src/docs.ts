import SwaggerUI from "swagger-ui-dist/swagger-ui-es-bundle.js";
import "swagger-ui-dist/swagger-ui.css";
import { API_URL } from "./api/client";
import "./docs.css";
// The theme chosen in the app (kept in this browser) applies here too.
import "./state/theme";

/**
 * The interactive API reference at /docs: Swagger UI on the OpenAPI 3.1 document the worker
 * serves. "Authorize" takes an API key (or a session token); "Try it out" calls the API.
 */
SwaggerUI({
  dom_id: "#reference",
  url: `${API_URL}/v1/openapi.json`,
  deepLinking: true,
  tryItOutEnabled: false,
  persistAuthorization: false,
  // No call to the public validator service: the document stays here (and the CSP allows nothing else).
  validatorUrl: "none",
});
