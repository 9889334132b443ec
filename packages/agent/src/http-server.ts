/**
 * The agent's HTTP(S) server hardening, defined once: the main server
 * (server.ts: /ws, /healthz and the mounted routes) and the separate
 * --prometheus-port listener are both built here, so that a fix to one
 * (a timeout, a client error) reaches both.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { AddressInfo, Socket } from "node:net";

/** Why a request is refused: an HTTP status and a one-line reason for the client. */
export interface Refusal {
  status: number;
  reason: string;
}

/** Decides whether a client may be served (a WebSocket, a scrape, the dashboard's auth check); null admits it. */
export type Admission = (request: IncomingMessage) => Refusal | null;

/** A plain-HTTP route mounted on the server: returns true when it handled the request. */
export type HttpRoute = (req: IncomingMessage, res: ServerResponse) => boolean;

/** The first refusal among the checks, or null when every one admits the request. */
export function admit(checks: readonly Admission[] | undefined, req: IncomingMessage): Refusal | null {
  for (const check of checks ?? []) {
    const refusal = check(req);
    if (refusal !== null) return refusal;
  }
  return null;
}

/** The header that tells a client refused for want of a token how to authenticate. */
export const BEARER_CHALLENGE = 'Bearer realm="socktop_agent"';

/** The path of a request URL, without its query. */
export function requestPath(req: IncomingMessage): string {
  return (req.url ?? "/").split("?")[0] ?? "/";
}

export interface HardenedServerOptions {
  tls?: { cert: string; key: string } | null;
  /** How long a connection may take to complete its request or upgrade (default 10 s). */
  handshakeTimeoutMs?: number;
}

/**
 * An HTTP server, or HTTPS with `tls`, with the agent's protections:
 * - Node's header/request timeouts rely on a server-wide interval timer; they
 *   are disabled and replaced by a per-socket timeout, so that an agent with
 *   no connections has no timer at all;
 * - a client that fails the TLS handshake (e.g. rejects our certificate) or
 *   sends a malformed request concerns only itself: a 400, never a crash.
 */
export function createHardenedServer(options: HardenedServerOptions = {}): Server {
  const serverOptions = { requestTimeout: 0, headersTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 };
  const server: Server = options.tls
    ? // node:https (and node:tls with it) loaded only under TLS.
      (createRequire(import.meta.url)("node:https") as typeof import("node:https")).createServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
    : createHttpServer(serverOptions);
  server.keepAliveTimeout = 5000;
  const timeoutMs = options.handshakeTimeoutMs ?? 10_000;
  const guard = (socket: Socket): void => {
    socket.setTimeout(timeoutMs, () => socket.destroy());
  };
  server.on("connection", guard);
  server.on("secureConnection", guard);
  server.on("tlsClientError", () => {});
  server.on("clientError", (_error, socket) => {
    if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
    socket.destroy();
  });
  return server;
}

/** Listens on port/bind; rejects with the listen error (its `syscall` tells the CLI which port failed). */
export function listen(server: Server, port: number, bind: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      server.off("listening", onListening);
      reject(error);
    };
    const onListening = (): void => {
      server.off("error", onError);
      resolve(server.address() as AddressInfo);
    };
    server.once("error", onError);
    server.once("listening", onListening);
    server.listen(port, bind);
  });
}

/** A plain-text answer (refusals, 404s, 405s). */
export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { "Content-Type": "text/plain; charset=utf-8", ...headers });
  res.end(text.endsWith("\n") ? text : `${text}\n`);
}
