/**
 * Who may open a WebSocket (or scrape /metrics): the checks made before the
 * upgrade, so a refused client gets a plain HTTP status it can explain.
 */
import type { IncomingMessage } from "node:http";
import { isLoopbackBind, type AgentConfig } from "./config.js";
import { isOriginAllowed, parseAllowedOrigins } from "./security/origin.js";
import { tokenFromRequest, tokensEqual } from "./security/token.js";
import type { Admission } from "./http-server.js";

/** Requires the token as `?token=` or `Authorization: Bearer`. The token itself is never echoed or logged. */
export function tokenAdmission(expected: string): Admission {
  return (request: IncomingMessage) =>
    tokensEqual(tokenFromRequest(request), expected)
      ? null
      : { status: 401, reason: "missing or wrong token: connect with ?token=<token> or an Authorization: Bearer <token> header" };
}

/** Keeps cross-origin browser pages out; clients that send no Origin (CLI tools, the TUI) are unaffected. */
export function originAdmission(allowedOrigins: string | undefined): Admission {
  const allowed = parseAllowedOrigins(allowedOrigins);
  return (request: IncomingMessage) =>
    isOriginAllowed(request, allowed)
      ? null
      : {
          status: 403,
          reason: "cross-origin WebSocket refused: this page's origin is not allowed (the agent's operator can allow it with --allow-origin)",
        };
}

/** The admission checks a configuration asks for, cheapest refusal first. */
export function admissionFor(config: AgentConfig): Admission[] {
  const checks: Admission[] = [originAdmission(config.allowedOrigins)];
  if (config.token !== null) checks.push(tokenAdmission(config.token));
  return checks;
}

/** True when `bind` accepts connections from other machines. */
export function isPublicBind(bind: string): boolean {
  return !isLoopbackBind(bind);
}
