/**
 * Tokens and what the page can learn about a refusal.
 *
 * A token is asked once and kept in sessionStorage (gone with the tab),
 * never in the page's URL. Browsers cannot set headers on a WebSocket, so
 * the connector sends it as `?token=` of the ws:// URL (which the agent
 * neither logs nor echoes); the page checks it first with GET /web/auth,
 * carrying it the same way (an Authorization header cannot hold a token
 * with a space), which is how it can tell "wrong token" from "agent down":
 * a failed WebSocket handshake does not say why.
 */

const TOKEN_KEY = "socktop.token:";

export function storedToken(agentUrl: string): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY + agentUrl);
  } catch {
    return null;
  }
}

export function storeToken(agentUrl: string, token: string | null): void {
  try {
    if (token === null || token === "") sessionStorage.removeItem(TOKEN_KEY + agentUrl);
    else sessionStorage.setItem(TOKEN_KEY + agentUrl, token);
  } catch {
    // Storage disabled: the token lives only as long as this page.
  }
}

export type AuthCheck = { ok: true } | { ok: false; status: number; reason: string } | { ok: null; reason: string };

/**
 * Asks the agent that served this page whether `token` would be admitted on
 * /ws (same origin rule, same token check). `ok: null` when the agent could
 * not be asked (down, or an older agent without the route).
 */
export async function checkToken(base: string, token: string | null): Promise<AuthCheck> {
  let response: Response;
  try {
    const url = new URL("web/auth", base);
    // encodeURIComponent: a space as %20 and a plus as %2B, as the agent reads them.
    if (token) url.search = `token=${encodeURIComponent(token)}`;
    response = await fetch(url, { cache: "no-store", credentials: "omit", referrerPolicy: "no-referrer" });
  } catch (error) {
    return { ok: null, reason: error instanceof Error ? error.message : String(error) };
  }
  if (response.status === 204) return { ok: true };
  if (response.status === 401 || response.status === 403) {
    return { ok: false, status: response.status, reason: (await response.text()).trim() };
  }
  return { ok: null, reason: `HTTP ${response.status}` };
}

/** Whether anything answers HTTP at `base` (an opaque reply counts): tells "refused" from "unreachable". */
export async function reachable(base: string): Promise<boolean> {
  try {
    await fetch(new URL("healthz", base), { mode: "no-cors", cache: "no-store", credentials: "omit" });
    return true;
  } catch {
    return false;
  }
}
