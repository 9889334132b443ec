/**
 * The `/ws` endpoint behind the agent's HTTP server (server.ts): the WebSocket
 * server, each connection's session and hello, and the heartbeat. server.ts
 * imports this module on the first upgrade, so an agent nobody has connected
 * to has not loaded it, ws, the protocol package or the request handler
 * (measured: ~7 MB of VmRSS and a third of the start-up time).
 */
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
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
import { helloReply, type RequestHandler, type Session } from "./handler.js";
import type { Logger } from "./log.js";
import { AGENT_VERSION } from "./version.js";
import { loadWebSocketServer } from "./ws-require.js";

export interface WsEndpointOptions {
  handler: RequestHandler;
  log: Logger;
  maxFrameBytes: number;
  limits?: ConnectionLimits | undefined;
  /** Ping interval while clients are connected. */
  heartbeatMs?: number | undefined;
  /** Told the number of open connections each time one opens or closes. */
  onClientCount?: ((clients: number) => void) | undefined;
}

/**
 * A peer is dropped when this many pings in a row went unanswered. Not one: a
 * pong is only read when the agent's own event loop turns, so one interval in
 * which the agent itself was busy (the portable backend spawning its helper
 * processes on a loaded machine, a long GC) would otherwise cost a live peer
 * its connection — which is what an in-process client saw with a 20 ms
 * heartbeat under the portable backend.
 */
const UNANSWERED_PINGS_BEFORE_DROP = 2;

export class WsEndpoint {
  private readonly wss: WebSocketServer;

  constructor(private readonly options: WsEndpointOptions) {
    const wss = new (loadWebSocketServer())({
      noServer: true,
      maxPayload: options.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: true,
      handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL_V2) ? SUBPROTOCOL_V2 : false),
    });
    wss.on("headers", (headers) => {
      headers.push(
        `${HEADER_AGENT_VERSION}: ${AGENT_VERSION}`,
        `${HEADER_PROTOCOL_VERSION}: ${PROTOCOL_VERSION}`,
        `${HEADER_MIN_PROTOCOL_VERSION}: ${LEGACY_PROTOCOL_VERSION}`,
        `${HEADER_CAPABILITIES}: ${options.handler.capabilities.join(",")}`,
      );
    });
    this.wss = wss;
  }

  /** The open connections. */
  get clients(): ReadonlySet<WebSocket> {
    return this.wss.clients;
  }

  /**
   * Completes the handshake (ws answers a malformed one itself with 400 and
   * never calls back) and serves the connection; `onOpen` is called once it is open.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, onOpen: () => void): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      onOpen();
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
    const heartbeat = this.startHeartbeat(ws);
    ws.on("close", () => {
      clearTimeout(heartbeat.timer);
      this.clientsChanged();
    });
    serveConnection(ws, this.options.handler, session, this.options.log, this.options.limits ?? DEFAULT_CONNECTION_LIMITS);
    // Sent before any reply can be, so it is always the connection's first frame.
    if (wantsHello) ws.send(JSON.stringify(helloReply(this.options.handler.capabilities)));
    this.clientsChanged();
  }

  private clientsChanged(): void {
    this.options.onClientCount?.(this.clients.size);
  }

  /**
   * Pings this peer every heartbeat interval, from a random first moment
   * within it, and drops it when pings go unanswered. Each connection has its
   * own timer so that pings are spread over the interval: one timer pinging
   * every client at once stalled the event loop ~100 ms every 30 s with 2000
   * clients (measured: replies in that window p99 70.8 ms, max 127 ms, against
   * p99 3.2-9.9 ms in the other windows; each ping is a socket write and its
   * pong a read). A connection's timer is cleared when it closes, so an agent
   * nobody is connected to keeps none.
   */
  private startHeartbeat(ws: WebSocket): { timer: NodeJS.Timeout } {
    const interval = this.options.heartbeatMs ?? 30_000;
    let unanswered = 0;
    ws.on("pong", () => {
      unanswered = 0;
    });
    const beat = (): void => {
      if (unanswered >= UNANSWERED_PINGS_BEFORE_DROP) {
        ws.terminate();
        return;
      }
      unanswered++;
      ws.ping();
    };
    const heartbeat = {
      timer: setTimeout(() => {
        beat();
        heartbeat.timer = setInterval(beat, interval);
      }, Math.random() * interval),
    };
    return heartbeat;
  }

  /** Closes every client with 1001 and resolves once all are gone (≤ graceMs); the rest are dropped. */
  async close(graceMs: number): Promise<void> {
    for (const client of this.clients) client.close(CLOSE_GOING_AWAY, "agent shutting down");
    const deadline = Date.now() + graceMs;
    while (this.clients.size > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    for (const client of this.clients) client.terminate();
  }
}
