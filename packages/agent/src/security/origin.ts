/**
 * Browser Origin checks for the WebSocket upgrade. A web page can open a
 * WebSocket to any host its visitor can reach (the agent on localhost or on
 * the LAN included) and browsers do not apply CORS to WebSockets, so the
 * agent itself must refuse pages from elsewhere. Non-browser clients send no
 * Origin and are not affected.
 */
import type { IncomingMessage } from "node:http";

/** The allow-list entry that admits every origin, "null" included. */
export const ANY_ORIGIN = "*";

/**
 * The normalised form of an origin, `scheme://host[:port]` in lowercase
 * without the scheme's default port; null when `value` is not one. A path
 * ("https://example.com/") is dropped, since an origin has none.
 */
export function normalizeOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    return null;
  }
  if (url.host === "" || url.username !== "" || url.password !== "") return null;
  // URL.origin is "null" for schemes it does not know (chrome-extension:, tauri:), whose origins are still meaningful.
  const origin = url.origin !== "null" ? url.origin : `${url.protocol}//${url.host}`;
  return origin.toLowerCase();
}

/**
 * The entries of a comma-separated allow list (--allow-origin /
 * SOCKTOP_ALLOW_ORIGIN), normalised; "*" stands for any origin. Entries
 * that are not origins are dropped, which refuses rather than admits:
 * {@link invalidAllowedOrigins} lists them so that a caller can report them.
 */
export function parseAllowedOrigins(value: string | undefined): string[] {
  return splitAllowList(value).origins;
}

/** The entries of an allow list that {@link parseAllowedOrigins} drops, as written. */
export function invalidAllowedOrigins(value: string | undefined): string[] {
  return splitAllowList(value).invalid;
}

function splitAllowList(value: string | undefined): { origins: string[]; invalid: string[] } {
  const origins: string[] = [];
  const invalid: string[] = [];
  for (const raw of (value ?? "").split(",")) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    const origin = entry === ANY_ORIGIN ? ANY_ORIGIN : normalizeOrigin(entry);
    if (origin === null) invalid.push(entry);
    else if (!origins.includes(origin)) origins.push(origin);
  }
  return { origins, invalid };
}

/**
 * Whether the request's Origin may open a WebSocket: no Origin header (not a
 * browser), the agent's own origin, an allowed origin, or any origin when
 * the list holds "*". An opaque "null" origin (sandboxed frames, file://
 * pages) is admitted only by "*".
 */
export function isOriginAllowed(req: IncomingMessage, allowed: readonly string[]): boolean {
  const header = req.headers.origin;
  if (header === undefined) return true;
  if (allowed.includes(ANY_ORIGIN)) return true;
  const origin = normalizeOrigin(header);
  if (origin === null) return false;
  if (isSameOrigin(origin, req.headers.host)) return true;
  return allowed.some((entry) => normalizeOrigin(entry) === origin);
}

/**
 * Same origin as the agent: the page's host and port equal the Host header
 * the browser sent with the upgrade. The scheme is deliberately not compared
 * (a page over https may talk to the agent over wss, or to a TLS-terminating
 * proxy in front of a plain agent); the Host's missing port counts as the
 * default port of the page's scheme.
 */
function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || host.length === 0 || /[/?#@\s]/.test(host)) return false;
  const scheme = origin.slice(0, origin.indexOf("://"));
  if (scheme !== "http" && scheme !== "https") return false;
  let ownHost: string;
  try {
    ownHost = new URL(`${scheme}://${host}`).host;
  } catch {
    return false;
  }
  return origin === `${scheme}://${ownHost}`.toLowerCase();
}
