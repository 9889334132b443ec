/**
 * The agent's network face: its hardened HTTP(S) server (http-server.ts) with
 * `GET /healthz`, the mounted routes (/metrics, the dashboard) and the `/ws`
 * WebSocket endpoint. Admission (token, origin, connection cap) is decided
 * before the upgrade, so a refused client gets a plain HTTP status.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { ConnectionLimits } from "./connection.js";
import type { RequestHandler } from "./handler.js";
import {
  BEARER_CHALLENGE,
  admit,
  createHardenedServer,
  listen,
  requestPath,
  sendText,
  type Admission,
  type HttpRoute,
  type Refusal,
} from "./http-server.js";
import type { Logger } from "./log.js";
import type { WsEndpoint } from "./ws-endpoint.js";

export type { Admission, HttpRoute, Refusal } from "./http-server.js";

export interface AgentServerOptions {
  /**
   * The request handler, or how to make it on the first upgrade: the CLI
   * defers the collectors and the reply code until someone connects.
   */
  handler: RequestHandler | (() => Promise<RequestHandler>);
  log: Logger;
  port: number;
  bind: string;
  tls?: { cert: string; key: string } | null;
  admission?: readonly Admission[];
  maxClients: number;
  maxFrameBytes: number;
  limits?: ConnectionLimits;
  /** How long a connection may take to complete its HTTP request / upgrade. */
  handshakeTimeoutMs?: number;
  /** Ping interval while clients are connected; a peer that leaves two pings in a row unanswered is dropped. */
  heartbeatMs?: number;
  /** Why GET /metrics is not served here (Prometheus off, or on its own port): the 404's body. */
  metricsNotHere?: () => string;
  /** Extra plain-HTTP routes (e.g. /metrics); return true when handled. */
  httpRoutes?: readonly HttpRoute[];
  /** Told the number of open connections each time one opens or closes (the CLI adapts V8's young generation to it). */
  onClientCount?: (clients: number) => void;
}

const STATUS_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  503: "Service Unavailable",
};

function refuseUpgrade(socket: Duplex, refusal: Refusal, extraHeaders: string[] = []): void {
  const body = `${refusal.reason}\n`;
  const head = [
    `HTTP/1.1 ${refusal.status} ${STATUS_TEXT[refusal.status] ?? "Error"}`,
    "Connection: close",
    "Content-Type: text/plain; charset=utf-8",
    `Content-Length: ${Buffer.byteLength(body)}`,
    ...extraHeaders,
  ];
  // As ws does: end gracefully, then make sure the socket is really gone.
  socket.once("finish", () => socket.destroy());
  socket.end(`${head.join("\r\n")}\r\n\r\n${body}`);
}

const NO_CLIENTS: ReadonlySet<unknown> = new Set();

export class AgentServer {
  readonly http: Server;
  /** The /ws endpoint (ws-endpoint.ts), loaded on the first upgrade. */
  private endpoint: WsEndpoint | null = null;
  private endpointLoading: Promise<WsEndpoint> | null = null;
  private pendingUpgrades = 0;
  private closing = false;

  constructor(private readonly options: AgentServerOptions) {
    this.http = createHardenedServer({
      tls: options.tls ?? null,
      ...(options.handshakeTimeoutMs !== undefined ? { handshakeTimeoutMs: options.handshakeTimeoutMs } : {}),
    });

    this.http.on("request", (req, res) => this.onRequest(req, res));
    this.http.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  /**
   * The WebSocket endpoint, made on the first upgrade: ws, the protocol
   * package and (from the CLI) the handler with every collector are ~7 MB of
   * VmRSS an agent nobody has connected to does not need (measured: idle
   * agent 55.2 MiB with them loaded at start).
   */
  private loadEndpoint(): Promise<WsEndpoint> {
    this.endpointLoading ??= (async () => {
      const handler = typeof this.options.handler === "function" ? await this.options.handler() : this.options.handler;
      const { WsEndpoint } = await import("./ws-endpoint.js");
      this.endpoint = new WsEndpoint({
        handler,
        log: this.options.log,
        maxFrameBytes: this.options.maxFrameBytes,
        limits: this.options.limits,
        heartbeatMs: this.options.heartbeatMs,
        onClientCount: this.options.onClientCount,
      });
      return this.endpoint;
    })();
    // A failed load is retried by the next upgrade rather than remembered.
    this.endpointLoading.catch(() => {
      this.endpointLoading = null;
    });
    return this.endpointLoading;
  }

  /** The open connections (none before the first upgrade). */
  private get clients(): ReadonlySet<unknown> {
    return this.endpoint?.clients ?? NO_CLIENTS;
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = requestPath(req);
    for (const route of this.options.httpRoutes ?? []) {
      if (route(req, res)) return;
    }
    if (path === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        sendText(res, 405, "/healthz answers GET and HEAD", { Allow: "GET, HEAD" });
        return;
      }
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : "ok\n");
      return;
    }
    if (path === "/metrics" && this.options.metricsNotHere !== undefined) {
      sendText(res, 404, `Not found: ${this.options.metricsNotHere()}`);
      return;
    }
    if (path === "/ws") {
      sendText(res, 426, "This endpoint speaks WebSocket: connect with a WebSocket client", { Upgrade: "websocket", Connection: "Upgrade" });
      return;
    }
    // Reached for / only when --web is off (the dashboard's route answers it otherwise).
    sendText(
      res,
      404,
      path === "/"
        ? "This is a socktop agent: it serves /ws (WebSocket) and /healthz. Its web dashboard is off: start the agent with --web (or SOCKTOP_WEB=1) to serve it here."
        : "Not found: the agent serves /ws (WebSocket) and /healthz",
    );
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => {});
    const path = requestPath(req);
    if (this.closing) {
      refuseUpgrade(socket, { status: 503, reason: "agent is shutting down" });
      return;
    }
    if (path !== "/ws") {
      refuseUpgrade(socket, { status: 404, reason: "WebSocket endpoint is /ws" });
      return;
    }
    const refusal = admit(this.options.admission, req);
    if (refusal !== null) {
      refuseUpgrade(socket, refusal, refusal.status === 401 ? [`WWW-Authenticate: ${BEARER_CHALLENGE}`] : []);
      return;
    }
    if (this.clients.size + this.pendingUpgrades >= this.options.maxClients) {
      refuseUpgrade(socket, { status: 503, reason: `too many connections (limit ${this.options.maxClients})` });
      return;
    }
    // handleUpgrade answers a malformed handshake itself (400) without calling
    // back, so the pending count is settled by whichever comes first.
    this.pendingUpgrades++;
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      this.pendingUpgrades--;
    };
    socket.once("close", settle);
    this.loadEndpoint().then(
      (endpoint) => {
        if (socket.destroyed) return;
        if (this.closing) {
          refuseUpgrade(socket, { status: 503, reason: "agent is shutting down" });
          return;
        }
        endpoint.handleUpgrade(req, socket, head, settle);
      },
      (error: unknown) => {
        this.options.log.error(`cannot serve WebSocket clients: ${error instanceof Error ? error.message : String(error)}`);
        if (!socket.destroyed) refuseUpgrade(socket, { status: 503, reason: "agent cannot serve WebSocket clients (see its log)" });
      },
    );
  }

  /** Number of open WebSocket connections. */
  get clientCount(): number {
    return this.clients.size;
  }

  listen(): Promise<AddressInfo> {
    return listen(this.http, this.options.port, this.options.bind);
  }

  /** Stops accepting, closes every client with 1001, and resolves once all are gone (≤ graceMs). */
  async close(graceMs = 500): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const endpoint = this.endpointLoading === null ? null : await this.endpointLoading.catch(() => null);
    await endpoint?.close(graceMs);
    this.http.closeAllConnections();
    await closed;
  }
}
