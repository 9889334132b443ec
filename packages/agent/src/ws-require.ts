/**
 * `ws` loaded with require() rather than imported as an ES module. ws is
 * CommonJS: importing it from ESM goes through Node's CommonJS translator,
 * which lexes each of its files for named exports before loading them again;
 * measured on Node 20, that costs ~5 MB of VmRSS for the life of the process
 * (an agent listening with ws: 55.4-55.9 MiB imported, 50.6 MiB required).
 */
import { createRequire } from "node:module";
import type * as Ws from "ws";

const ws = createRequire(import.meta.url)("ws") as typeof Ws;
export const WebSocketServer: typeof Ws.WebSocketServer = ws.WebSocketServer;
export type WebSocketServer = Ws.WebSocketServer;
