/**
 * The agent's network face: its hardened HTTP(S) server (http-server.ts) with
 * `GET /healthz`, the mounted routes (/metrics, the dashboard) and the `/ws`
 * WebSocket endpoint. Admission (token, origin, connection cap) is decided
 * before the upgrade, so a refused client gets a plain HTTP status.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import { loadWebSocketServer } from "./ws-require.js";
import {
  HEADER_AGENT_VERSION,
  HEADER_CAPABILITIES,
  HEADER_MIN_PROTOCOL_VERSION,
  HEADER_PROTOCOL_VERSION,
  HELLO_QUERY_PARAMETER,
  LEGACY_PROTOCOL_VERSION,
  PROTOCOL_VERSION,
  SUBPROTOCOL_V2,
} from "@socktop/protocol";
import { CLOSE_GOING_AWAY, DEFAULT_CONNECTION_LIMITS, serveConnection, type ConnectionLimits } from "./connection.js";
import { RequestHandler, helloReply, type Session } from "./handler.js";
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
import { AGENT_VERSION } from "./version.js";

export type { Admission, HttpRoute, Refusal } from "./http-server.js";

export interface AgentServerOptions {
  handler: RequestHandler;
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

/** Pings sent since the peer's last pong. */
type Alive = WebSocket & { socktopUnanswered?: number };
const NO_CLIENTS: ReadonlySet<WebSocket> = new Set();

/**
 * A peer is dropped when this many pings in a row went unanswered. Not one: a
 * pong is only read when the agent's own event loop turns, so one interval in
 * which the agent itself was busy (the portable backend spawning its helper
 * processes on a loaded machine, a long GC) would otherwise cost a live peer
 * its connection — which is what an in-process client saw with a 20 ms
 * heartbeat under the portable backend.
 */
const UNANSWERED_PINGS_BEFORE_DROP = 2;

export class AgentServer {
  readonly http: Server;
  /** Created on the first upgrade (see wss). */
  private wssInstance: WebSocketServer | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
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
   * The WebSocket server, made on the first upgrade: ws and what it loads
   * (https, tls) are ~7 MB of VmRSS an agent nobody has connected to does
   * not need (measured: an ES-module listener 43.6 MiB, with ws 50.6 MiB).
   */
  private get wss(): WebSocketServer {
    if (this.wssInstance !== null) return this.wssInstance;
    const wss = new (loadWebSocketServer())({
      noServer: true,
      maxPayload: this.options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL_V2) ? SUBPROTOCOL_V2 : false),
    });
    wss.on("headers", (headers) => {
      headers.push(
        `${HEADER_AGENT_VERSION}: ${AGENT_VERSION}`,
        `${HEADER_PROTOCOL_VERSION}: ${PROTOCOL_VERSION}`,
        `${HEADER_MIN_PROTOCOL_VERSION}: ${LEGACY_PROTOCOL_VERSION}`,
        `${HEADER_CAPABILITIES}: ${this.options.handler.capabilities.join(",")}`,
      );
    });
    this.wssInstance = wss;
    return wss;
  }

  /** The open connections (none before the first upgrade). */
  private get clients(): ReadonlySet<WebSocket> {
    return this.wssInstance?.clients ?? NO_CLIENTS;
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
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      settle();
      this.onConnection(ws, req);
    });
  }

  private onConnection(ws: WebSocket, req: IncomingMessage): void {
    const query = new URLSearchParams((req.url ?? "").split("?")[1] ?? "");
    const wantsHello = ws.protocol === SUBPROTOCOL_V2 || query.get(HELLO_QUERY_PARAMETER) === "1";
    const session: Session = {
      protocol: wantsHello ? PROTOCOL_VERSION : LEGACY_PROTOCOL_VERSION,
      remote: req.socket.remoteAddress ?? "unknown",
    };
    const alive = ws as Alive;
    alive.socktopUnanswered = 0;
    ws.on("pong", () => {
      alive.socktopUnanswered = 0;
    });
    ws.on("close", () => this.clientsChanged());
    serveConnection(ws, this.options.handler, session, this.options.log, this.options.limits ?? DEFAULT_CONNECTION_LIMITS);
    // Sent before any reply can be, so it is always the connection's first frame.
    if (wantsHello) ws.send(JSON.stringify(helloReply(this.options.handler.capabilities)));
    this.clientsChanged();
  }

  private clientsChanged(): void {
    this.updateHeartbeat();
    this.options.onClientCount?.(this.clients.size);
  }

  /** Runs the ping timer only while someone is connected. */
  private updateHeartbeat(): void {
    const interval = this.options.heartbeatMs ?? 30_000;
    if (this.clients.size > 0 && this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => {
        for (const client of this.clients) {
          const c = client as Alive;
          const unanswered = c.socktopUnanswered ?? 0;
          if (unanswered >= UNANSWERED_PINGS_BEFORE_DROP) {
            c.terminate();
            continue;
          }
          c.socktopUnanswered = unanswered + 1;
          c.ping();
        }
      }, interval);
    } else if (this.clients.size === 0 && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
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
    for (const client of this.clients) client.close(CLOSE_GOING_AWAY, "agent shutting down");
    const deadline = Date.now() + graceMs;
    while (this.clients.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const client of this.clients) client.terminate();
    this.http.closeAllConnections();
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await closed;
  }
}
