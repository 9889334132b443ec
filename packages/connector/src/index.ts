/**
 * @socktop/connector for Node: a typed client for socktop agents over `ws`,
 * with TLS pinning from a CA file or PEM text.
 */
import { connectWith, type AgentConnection } from "./connection.js";
import type { ConnectOptions } from "./options.js";
import { nodePlatform } from "./transport-node.js";

export * from "./common.js";

/**
 * Connects to an agent and learns what it speaks. Rejects with a SocktopError
 * (CONNECTION_FAILED, AUTH_FAILED, CERTIFICATE_ERROR, …) when it cannot; once
 * connected, a dropped link is re-established by itself (see `reconnect`).
 */
export function connect(url: string, options?: ConnectOptions): Promise<AgentConnection> {
  return connectWith(nodePlatform, url, options);
}
