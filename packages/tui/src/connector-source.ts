/**
 * The production DataSource: @socktop/connector, with its own reconnection
 * turned off because the TUI's Session retries (see session.ts).
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

/** A connection seen through the TUI's narrow AgentClient interface. */
export function asAgentClient(conn: AgentConnection): AgentClient {
  return {
    get info() {
      return conn.info;
    },
    metrics: () => conn.metrics(),
    disks: () => conn.disks(),
    processes: () => conn.processes(),
    processMetrics: (pid) => conn.processMetrics(pid),
    journalEntries: (pid) => conn.journalEntries(pid),
    load: () => conn.load(),
    diskIo: () => conn.diskIo(),
    cgroups: () => conn.cgroups(),
    signal: (pid, signal) => conn.signal(pid, signal),
    close: () => conn.close(),
    on: (event, listener) => conn.on(event, (state, error) => listener(state, error)),
  };
}

export function connectorSource(url: string, options: ConnectorSourceOptions = {}): DataSource {
  return async () => {
    const conn = await connect(url, {
      ...(options.tlsCa ? { tlsCa: options.tlsCa } : {}),
      ...(options.token ? { token: options.token } : {}),
      verifyHostname: options.verifyHostname ?? false,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      // A refused or unreachable agent should reach the banner quickly.
      connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      reconnect: false,
    });
    return asAgentClient(conn);
  };
}
