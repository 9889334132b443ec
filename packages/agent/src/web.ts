/**
 * The browser dashboard (--web): the files `packages/web` builds into this
 * package's dist/web, held in memory (with their gzip form) and served at
 * GET /. Imported only when --web is on, so an agent without it loads and
 * serves none of this.
 *
 * The files are the same for every visitor and hold no host data: the
 * metrics reach the page over /ws, behind the token. So the page is served
 * under the origin rule but without the token — it must load in order to
 * ask for it — and GET /web/auth lets it check a token (sent as /ws gets
 * it, ?token= or Authorization: Bearer; never in the page's own URL) before
 * it connects, since a failed WebSocket handshake does not tell a browser why.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { join, relative, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { admit, type Admission } from "./http-server.js";

/** Where the dashboard is built to, next to this module in dist (or in dist when run from src under tsx). */
export function defaultWebDir(): string {
  const beside = fileURLToPath(new URL("./web/", import.meta.url));
  if (existsSync(join(beside, "index.html"))) return beside;
  return fileURLToPath(new URL("../dist/web/", import.meta.url));
}

/**
 * The page's Content-Security-Policy: scripts and styles only from the
 * agent's own files (no inline script, no eval), nothing framed, no forms.
 * connect-src is open to ws/wss/http(s) because the fleet page talks to
 * other agents (each of which applies its own origin and token rules).
 */
export const WEB_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self' ws: wss: http: https:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const SECURITY_HEADERS: Record<string, string> = {
  "Content-Security-Policy": WEB_CSP,
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Resource-Policy": "same-origin",
};

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

export interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
  cacheControl: string;
}

/** The dashboard's files by URL path. */
export type WebAssets = Map<string, Asset>;

/** Hashed file names (app-3FQ2K7XA.js) never change content: cached for a year. */
const HASHED = /-[A-Z0-9]{8}\.[a-z]+$/;

export class WebAssetsMissingError extends Error {
  override readonly name = "WebAssetsMissingError";
}

/** Reads the built dashboard into memory; throws WebAssetsMissingError (one line) when it was not built. */
export function loadWebAssets(dir: string = defaultWebDir()): WebAssets {
  if (!existsSync(join(dir, "index.html"))) {
    throw new WebAssetsMissingError(`--web: the dashboard is not built (no ${join(dir, "index.html")}); run npm run build`);
  }
  const assets = new Map<string, Asset>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      if (statSync(path).isDirectory()) {
        walk(path);
        continue;
      }
      const name = `/${relative(dir, path).split(sep).join("/")}`;
      const ext = name.slice(name.lastIndexOf("."));
      const type = TYPES[ext];
      if (type === undefined) continue;
      const body = readFileSync(path);
      const packed = body.length > 512 ? gzipSync(body, { level: 9 }) : null;
      assets.set(name, {
        body,
        gzip: packed !== null && packed.length < body.length ? packed : null,
        type,
        etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
        cacheControl: HASHED.test(name) ? "public, max-age=31536000, immutable" : "no-cache",
      });
    }
  };
  walk(dir);
  return assets;
}

function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string>, body?: Buffer | string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, ...headers });
  res.end(req.method === "HEAD" ? undefined : body);
}

function refuse(req: IncomingMessage, res: ServerResponse, status: number, reason: string): void {
  send(req, res, status, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" }, `${reason}\n`);
}

/**
 * The HTTP route serving the dashboard: `/` (index.html), `/assets/…`, other
 * built files, and `/web/auth`. Returns false for every other path.
 */
export function webRoute(
  assets: WebAssets,
  checks: { page: readonly Admission[]; auth: readonly Admission[] },
): (req: IncomingMessage, res: ServerResponse) => boolean {
  return (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const isAuth = path === "/web/auth";
    const asset = isAuth ? undefined : assets.get(path === "/" ? "/index.html" : path);
    if (!isAuth && asset === undefined) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(req, res, 405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }, "Only GET and HEAD\n");
      return true;
    }
    // /web/auth applies every check /ws applies (origin and token); the files only the origin check.
    const refusal = admit(isAuth ? checks.auth : checks.page, req);
    if (refusal !== null) {
      refuse(req, res, refusal.status, refusal.reason);
      return true;
    }
    if (isAuth) {
      send(req, res, 204, { "Cache-Control": "no-store" });
      return true;
    }
    const a = asset!;
    const headers: Record<string, string> = { "Content-Type": a.type, "Cache-Control": a.cacheControl, ETag: a.etag, Vary: "Accept-Encoding" };
    if (req.headers["if-none-match"] === a.etag) {
      send(req, res, 304, headers);
      return true;
    }
    const gzip = a.gzip !== null && /\bgzip\b/.test(String(req.headers["accept-encoding"] ?? ""));
    const body = gzip ? a.gzip! : a.body;
    if (gzip) headers["Content-Encoding"] = "gzip";
    headers["Content-Length"] = String(body.length);
    send(req, res, 200, headers, body);
    return true;
  };
}
