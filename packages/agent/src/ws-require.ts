/**
 * `ws`, loaded with require() when first needed rather than imported as an
 * ES module. ws is CommonJS: importing it from ESM goes through Node's
 * CommonJS translator, which lexes each of its files for named exports before
 * loading them again; measured on Node 20, that costs ~5 MB of VmRSS for the
 * life of the process (an agent listening with ws: 55.4-55.9 MiB imported,
 * 50.6 MiB required). Loaded on the first WebSocket upgrade, it is not loaded
 * at all by an agent nobody connects to (an ES-module listener without ws:
 * 43.6 MiB).
 */
import { createRequire } from "node:module";
import type * as Ws from "ws";

let ws: typeof Ws | null = null;

export function loadWebSocketServer(): typeof Ws.WebSocketServer {
  ws ??= createRequire(import.meta.url)("ws") as typeof Ws;
  return ws.WebSocketServer;
}
