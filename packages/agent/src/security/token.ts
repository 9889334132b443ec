/**
 * The shared-secret token (SOCKTOP_TOKEN): where a client puts it, and a
 * comparison that does not reveal through its timing how much of a guess
 * was right.
 */
import type { IncomingMessage } from "node:http";
import { createRequire } from "node:module";

/**
 * node:crypto on first use (a token to compare): imported as an ES module it
 * loads all of Node's crypto modules (webcrypto, x509, …) at start-up, which an
 * agent without a token, or before its first client, does not need.
 */
let crypto: typeof import("node:crypto") | null = null;
const cryptoModule = (): typeof import("node:crypto") => (crypto ??= createRequire(import.meta.url)("node:crypto") as typeof import("node:crypto"));

/**
 * The token a request carries: the `token` query parameter (the documented
 * form, and the only one a browser WebSocket can send), else an
 * `Authorization: Bearer <token>` header. Null when it carries neither.
 *
 * Percent-escapes are decoded but "+" stays a plus sign instead of turning
 * into a space as in HTML form encoding: tokens are often base64, and
 * clients that build the URL by string concatenation send "+" as is. Every
 * URL encoder escapes a literal "+" as %2B, so encoded tokens still match;
 * only a token containing a space must be sent with %20 rather than "+".
 */
export function tokenFromRequest(req: IncomingMessage): string | null {
  const fromQuery = queryToken(req.url ?? "");
  if (fromQuery !== null) return fromQuery;
  const header = req.headers.authorization;
  if (typeof header !== "string") return null;
  const match = /^\s*bearer[ \t]+(\S+)\s*$/i.exec(header);
  return match ? match[1]! : null;
}

function queryToken(url: string): string | null {
  const start = url.indexOf("?");
  if (start < 0) return null;
  const end = url.indexOf("#", start);
  const query = url.slice(start + 1, end < 0 ? undefined : end);
  for (const pair of query.split("&")) {
    const eq = pair.indexOf("=");
    const name = eq < 0 ? pair : pair.slice(0, eq);
    if (decode(name) !== "token") continue;
    return eq < 0 ? "" : decode(pair.slice(eq + 1));
  }
  return null;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape ("%zz") is kept as written; it then simply fails to match.
    return text;
  }
}

/**
 * Constant-time comparison. Both sides are hashed first so that inputs of
 * different lengths compare in the same time too (timingSafeEqual itself
 * requires equal lengths, and an early length check would reveal the
 * token's length).
 */
export function tokensEqual(provided: string | null, expected: string): boolean {
  if (provided === null) return false;
  const { createHash, timingSafeEqual } = cryptoModule();
  const a = createHash("sha256").update(provided, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}
