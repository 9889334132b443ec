/** The plumbing the test agents share: a WebSocket server on 127.0.0.1 that records upgrades and closes without leftovers. */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";

export interface LocalWsServer {
  url: string;
  port: number;
  /** Upgrade requests seen: the subprotocols offered and the URL. */
  upgrades: Array<{ protocols: string | undefined; url: string }>;
  clients: Set<WebSocket>;
  /** Drops every client and stops listening. */
  close(): Promise<void>;
}

/**
 * Listens on 127.0.0.1 (`port`, or any free one) and hands each upgraded socket to `onSocket`;
 * plain HTTP requests get 404. `wss` decides subprotocols, headers and compression.
 */
export async function startWsServer(wss: WebSocketServer, onSocket: (ws: WebSocket, req: IncomingMessage) => void, port = 0): Promise<LocalWsServer> {
  const http = createServer((_req, res) => res.writeHead(404).end());
  const upgrades: LocalWsServer["upgrades"] = [];
  http.on("upgrade", (req, socket, head) => {
    socket.on("error", () => {});
    upgrades.push({ protocols: req.headers["sec-websocket-protocol"], url: req.url ?? "" });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on("error", () => {});
      onSocket(ws, req);
    });
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  const bound = (http.address() as AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${bound}/ws`,
    port: bound,
    upgrades,
    clients: wss.clients,
    close: async () => {
      for (const client of wss.clients) client.terminate();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}
