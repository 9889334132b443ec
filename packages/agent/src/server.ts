/**
 * The agent's network face: an HTTP(S) server with `GET /healthz` and the
 * `/ws` WebSocket endpoint. Admission (token, origin, connection cap) is
 * decided before the upgrade, so a refused client gets a plain HTTP status.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { WebSocketServer } from "./ws-require.js";
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
import type { Logger } from "./log.js";
import { AGENT_VERSION } from "./version.js";

/** Why an upgrade is refused: an HTTP status and a one-line reason for the client. */
export interface Refusal {
  status: number;
  reason: string;
}

/** Decides whether a client may open a WebSocket; null admits it. */
export type Admission = (request: IncomingMessage) => Refusal | null;

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
  /** Ping interval while clients are connected; a peer that misses a pong is dropped. */
  heartbeatMs?: number;
  /** Why GET /metrics is not served here (Prometheus off, or on its own port): the 404's body. */
  metricsNotHere?: () => string;
  /** Extra plain-HTTP routes (e.g. /metrics); return true when handled. */
  httpRoutes?: ReadonlyArray<(req: IncomingMessage, res: ServerResponse) => boolean>;
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

type Alive = WebSocket & { socktopAlive?: boolean };

export class AgentServer {
  readonly http: Server;
  private readonly wss: WebSocketServer;
  private heartbeat: NodeJS.Timeout | undefined;
  private pendingUpgrades = 0;
  private closing = false;

  constructor(private readonly options: AgentServerOptions) {
    // Node's own header/request timeouts rely on a server-wide interval timer;
    // they are disabled here and replaced by per-socket timeouts, so that an
    // agent with no connections has no timer at all.
    const serverOptions = { requestTimeout: 0, headersTimeout: 0, connectionsCheckingInterval: 2 ** 31 - 1 };
    this.http = options.tls
      ? createHttpsServer({ ...serverOptions, cert: options.tls.cert, key: options.tls.key })
      : createHttpServer(serverOptions);
    this.http.keepAliveTimeout = 5000;

    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL_V2) ? SUBPROTOCOL_V2 : false),
    });
    this.wss.on("headers", (headers) => {
      headers.push(
        `${HEADER_AGENT_VERSION}: ${AGENT_VERSION}`,
        `${HEADER_PROTOCOL_VERSION}: ${PROTOCOL_VERSION}`,
        `${HEADER_MIN_PROTOCOL_VERSION}: ${LEGACY_PROTOCOL_VERSION}`,
        `${HEADER_CAPABILITIES}: ${options.handler.capabilities.join(",")}`,
      );
    });

    const handshakeTimeoutMs = options.handshakeTimeoutMs ?? 10_000;
    this.http.on("connection", (socket: Socket) => {
      socket.setTimeout(handshakeTimeoutMs, () => socket.destroy());
    });
    this.http.on("secureConnection", (socket: Socket) => {
      socket.setTimeout(handshakeTimeoutMs, () => socket.destroy());
    });
    this.http.on("tlsClientError", () => {
      // A client that fails the TLS handshake (e.g. rejects our certificate) concerns only itself.
    });
    this.http.on("clientError", (_error, socket) => {
      if (socket.writable) socket.end("HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n");
      socket.destroy();
    });
    this.http.on("request", (req, res) => this.onRequest(req, res));
    this.http.on("upgrade", (req, socket, head) => this.onUpgrade(req, socket, head));
  }

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? "/").split("?")[0];
    for (const route of this.options.httpRoutes ?? []) {
      if (route(req, res)) return;
    }
    if (path === "/healthz") {
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.writeHead(405, { "Content-Type": "text/plain; charset=utf-8", Allow: "GET, HEAD" });
        res.end("/healthz answers GET and HEAD\n");
        return;
      }
      res.writeHead(200, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : "ok\n");
      return;
    }
    if (path === "/metrics" && this.options.metricsNotHere !== undefined) {
      res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
      res.end(`Not found: ${this.options.metricsNotHere()}\n`);
      return;
    }
    if (path === "/ws") {
      res.writeHead(426, { "Content-Type": "text/plain; charset=utf-8", Upgrade: "websocket", Connection: "Upgrade" });
      res.end("This endpoint speaks WebSocket: connect with a WebSocket client\n");
      return;
    }
    res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" });
    // Reached for / only when --web is off (the dashboard's route answers it otherwise).
    res.end(
      path === "/"
        ? "This is a socktop agent: it serves /ws (WebSocket) and /healthz. Its web dashboard is off: start the agent with --web (or SOCKTOP_WEB=1) to serve it here.\n"
        : "Not found: the agent serves /ws (WebSocket) and /healthz\n",
    );
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on("error", () => {});
    const path = (req.url ?? "/").split("?")[0];
    if (this.closing) {
      refuseUpgrade(socket, { status: 503, reason: "agent is shutting down" });
      return;
    }
    if (path !== "/ws") {
      refuseUpgrade(socket, { status: 404, reason: "WebSocket endpoint is /ws" });
      return;
    }
    for (const admit of this.options.admission ?? []) {
      const refusal = admit(req);
      if (refusal !== null) {
        refuseUpgrade(socket, refusal, refusal.status === 401 ? ['WWW-Authenticate: Bearer realm="socktop_agent"'] : []);
        return;
      }
    }
    if (this.wss.clients.size + this.pendingUpgrades >= this.options.maxClients) {
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
    alive.socktopAlive = true;
    ws.on("pong", () => {
      alive.socktopAlive = true;
    });
    ws.on("close", () => this.updateHeartbeat());
    serveConnection(ws, this.options.handler, session, this.options.log, this.options.limits ?? DEFAULT_CONNECTION_LIMITS);
    // Sent before any reply can be, so it is always the connection's first frame.
    if (wantsHello) ws.send(JSON.stringify(helloReply(this.options.handler.capabilities)));
    this.updateHeartbeat();
  }

  /** Runs the ping timer only while someone is connected. */
  private updateHeartbeat(): void {
    const interval = this.options.heartbeatMs ?? 30_000;
    if (this.wss.clients.size > 0 && this.heartbeat === undefined) {
      this.heartbeat = setInterval(() => {
        for (const client of this.wss.clients) {
          const c = client as Alive;
          if (c.socktopAlive === false) {
            c.terminate();
            continue;
          }
          c.socktopAlive = false;
          c.ping();
        }
      }, interval);
    } else if (this.wss.clients.size === 0 && this.heartbeat !== undefined) {
      clearInterval(this.heartbeat);
      this.heartbeat = undefined;
    }
  }

  /** Number of open WebSocket connections. */
  get clientCount(): number {
    return this.wss.clients.size;
  }

  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        this.http.off("listening", onListening);
        reject(error);
      };
      const onListening = (): void => {
        this.http.off("error", onError);
        resolve(this.http.address() as AddressInfo);
      };
      this.http.once("error", onError);
      this.http.once("listening", onListening);
      this.http.listen(this.options.port, this.options.bind);
    });
  }

  /** Stops accepting, closes every client with 1001, and resolves once all are gone (≤ graceMs). */
  async close(graceMs = 500): Promise<void> {
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    for (const client of this.wss.clients) client.close(CLOSE_GOING_AWAY, "agent shutting down");
    const deadline = Date.now() + graceMs;
    while (this.wss.clients.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const client of this.wss.clients) client.terminate();
    this.http.closeAllConnections();
    if (this.heartbeat !== undefined) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
    await closed;
  }
}
