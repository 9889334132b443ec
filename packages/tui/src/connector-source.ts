/**
 * The production DataSource: @socktop/connector with its reconnection on and
 * the first connection retried too (`retryInitialConnect`), so that the
 * connector's one retry policy serves the TUI (see session.ts).
 */
import { connect, type AgentConnection } from "@socktop/connector";
import type { AgentClient, DataSource } from "./session.js";

export interface ConnectorSourceOptions {
  /** The agent's token when it is not in the URL (SOCKTOP_TOKEN, a profile's token_file). */
  token?: string | null;
  tlsCa?: string | null;
  verifyHostname?: boolean;
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** A connection seen through the TUI's narrow AgentClient interface (checked here by the compiler: no wrapper needed). */
export function asAgentClient(conn: AgentConnection): AgentClient {
  return conn;
}

export function connectorSource(url: string, options: ConnectorSourceOptions = {}): DataSource {
  return async () =>
    asAgentClient(
      await connect(url, {
        ...(options.tlsCa ? { tlsCa: options.tlsCa } : {}),
        ...(options.token ? { token: options.token } : {}),
        verifyHostname: options.verifyHostname ?? false,
        requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
        // A refused or unreachable agent should reach the banner quickly.
        connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
        retryInitialConnect: true,
      }),
    );
}
