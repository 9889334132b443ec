/**
 * A WebSocket server scripted by the test: chosen upgrade headers and
 * subprotocol behaviour, and a function deciding what (if anything) to send
 * back for each frame. For situations the real agent cannot be made to
 * produce: a future protocol version, garbage replies, unsolicited frames.
 */
import { WebSocketServer, type WebSocket } from "ws";
import { startWsServer } from "./ws-server.js";

export interface ScriptedAgent {
  url: string;
  port: number;
  received: string[];
  /** Upgrade requests seen: the subprotocols offered and the URL. */
  upgrades: Array<{ protocols: string | undefined; url: string }>;
  sockets: Set<WebSocket>;
  close(): Promise<void>;
}

export interface Script {
  headers?: Record<string, string>;
  /** Select this subprotocol when offered (default: select none). */
  subprotocol?: string;
  /** Sent right after the connection opens; `url` is the upgrade request's path and query. */
  onOpen?: (socket: WebSocket, url: string) => void;
  onMessage?: (text: string, socket: WebSocket) => void;
}

export async function startScriptedAgent(script: Script): Promise<ScriptedAgent> {
  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    handleProtocols: (offered) => (script.subprotocol !== undefined && offered.has(script.subprotocol) ? script.subprotocol : false),
  });
  wss.on("headers", (headers) => {
    for (const [name, value] of Object.entries(script.headers ?? {})) headers.push(`${name}: ${value}`);
  });
  const received: string[] = [];
  const server = await startWsServer(wss, (ws, req) => {
    ws.on("message", (data) => {
      const text = data.toString();
      received.push(text);
      script.onMessage?.(text, ws);
    });
    script.onOpen?.(ws, req.url ?? "");
  });
  return { url: server.url, port: server.port, received, upgrades: server.upgrades, sockets: server.clients, close: server.close };
}
