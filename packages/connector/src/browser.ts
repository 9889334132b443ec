/**
 * @socktop/connector for browsers: the same API over the native WebSocket and
 * DecompressionStream. Imports nothing from Node.
 */
import { connectWith, type AgentConnection } from "./connection.js";
import type { ConnectOptions } from "./options.js";
import { browserPlatform } from "./transport-browser.js";

export * from "./common.js";

/**
 * Connects to an agent from a browser. As connect() in Node, except: `tlsCa` is
 * refused (the browser decides what it trusts), `verifyHostname` has no effect
 * (browsers always check), and the browser does not reveal why a connection
 * failed, so AUTH_FAILED and CERTIFICATE_ERROR show up as CONNECTION_FAILED.
 */
export function connect(url: string, options?: ConnectOptions): Promise<AgentConnection> {
  return connectWith(browserPlatform, url, options);
}
