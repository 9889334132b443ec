/** Test helpers: an in-process agent on a free loopback port, and a WebSocket client that reads replies in order. */
import { gunzipSync } from "node:zlib";
import WebSocket, { type ClientOptions } from "ws";
import { isGzip } from "@socktop/protocol";
import { startAgent, type AgentExtras, type StartedAgent } from "../../src/agent.js";
import { parseCommand, type AgentConfig } from "../../src/config.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { SI_CALL_TIMEOUT_MS } from "../../src/portable/bounded-si.js";

/**
 * The defaults of a bare `socktop_agent`, on a free loopback port. The backend
 * follows SOCKTOP_AGENT_BACKEND so that the end-to-end suites also run against
 * the portable backend (the portable pass of scripts/run-tests.mjs).
 */
export function testConfig(overrides: Partial<AgentConfig> = {}): AgentConfig {
  const backend = process.env.SOCKTOP_AGENT_BACKEND;
  const command = parseCommand([], backend !== undefined ? { SOCKTOP_AGENT_BACKEND: backend } : {});
  if (command.kind !== "run") throw new Error("unreachable");
  return { ...command.config, port: 0, bind: "127.0.0.1", ...overrides };
}

export function startTestAgent(
  overrides: Partial<AgentConfig> = {},
  extras: AgentExtras = {},
  log: Logger = silentLogger,
): Promise<StartedAgent> {
  return startAgent(testConfig(overrides), log, extras);
}

/** Node handles of a kind now open in this process ("Timeout", "TCPServerWrap"…): an idle agent must add none. */
export function activeHandles(kind: string): number {
  return process.getActiveResourcesInfo().filter((r) => r === kind).length;
}

/**
 * Snapshots how often the agent has collected each source; the returned
 * function gives the collections since: what a set of requests cost.
 */
export function collectionsFrom(agent: StartedAgent): () => { metrics: number; processes: number; disks: number } {
  const before = { ...agent.sources.counts };
  return () => ({
    metrics: agent.sources.counts.metrics - before.metrics,
    processes: agent.sources.counts.processes - before.processes,
    disks: agent.sources.counts.disks - before.disks,
  });
}

export function wsUrl(agent: StartedAgent, query = ""): string {
  const scheme = agent.url.startsWith("wss") ? "wss" : "ws";
  return `${scheme}://127.0.0.1:${agent.address.port}/ws${query}`;
}

export interface Frame {
  data: Buffer;
  isBinary: boolean;
}

/** The frame's bytes with gzip removed, if it was gzipped. */
export function unzip(frame: Frame): Buffer {
  return isGzip(frame.data) ? gunzipSync(frame.data) : frame.data;
}

/** Parses a JSON reply in either form: a text frame, or a gzip-compressed binary frame. */
export function json<T = unknown>(frame: Frame): T {
  return JSON.parse(unzip(frame).toString("utf8")) as T;
}

/**
 * How long a test waits for one reply: 5 s, and under the portable backend its bound on
 * one systeminformation call plus 5 s, so that a reply held by a slow call (an error naming
 * the call, at worst) always arrives before the test gives up on it.
 */
export const REPLY_TIMEOUT_MS = process.env.SOCKTOP_AGENT_BACKEND === "portable" ? SI_CALL_TIMEOUT_MS + 5000 : 5000;

export class TestClient {
  private readonly queue: Frame[] = [];
  private readonly waiters: Array<{ resolve: (frame: Frame) => void; reject: (error: Error) => void }> = [];
  /** Set once the socket closed: a reply still awaited will never come. */
  private closedWith: { code: number; reason: string } | null = null;
  closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const frame = { data: Buffer.from(data), isBinary };
      const waiter = this.waiters.shift();
      if (waiter) waiter.resolve(frame);
      else this.queue.push(frame);
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", (code, reason) => {
        this.closedWith = { code, reason: reason.toString() };
        // Whoever waits for a reply learns now, and why, instead of at its timeout.
        for (const waiter of this.waiters.splice(0)) waiter.reject(this.closedError());
        resolve(this.closedWith);
      });
    });
  }

  private closedError(): Error {
    const { code, reason } = this.closedWith ?? { code: 0, reason: "" };
    return new Error(`the connection closed (code ${code}${reason !== "" ? `, ${reason}` : ""}) before a reply`);
  }

  static connect(url: string, options: ClientOptions = {}, protocols?: string[]): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, protocols, options);
      socket.once("open", () => resolve(new TestClient(socket)));
      socket.once("error", reject);
      socket.once("unexpected-response", (_req, res) => {
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode }));
      });
    });
  }

  send(text: string | Buffer, binary = false): void {
    this.socket.send(text, { binary });
  }

  next(timeoutMs = REPLY_TIMEOUT_MS): Promise<Frame> {
    const ready = this.queue.shift();
    if (ready) return Promise.resolve(ready);
    if (this.closedWith !== null) return Promise.reject(this.closedError());
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (frame: Frame): void => {
          clearTimeout(timer);
          resolve(frame);
        },
        reject: (error: Error): void => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async request(text: string): Promise<Frame> {
    this.send(text);
    return this.next();
  }

  close(): Promise<{ code: number; reason: string }> {
    this.socket.close();
    return this.closed;
  }
}
