/**
 * A small fleet of real local agents for the fleet view and `socktop status`
 * tests: a plain one, one with a token, one with TLS and a pinned CA, one in
 * its own process (to be killed and restarted), one port nobody listens on,
 * and a TCP server that accepts and never answers. In-process agents count the
 * WebSocket connections they accept, so a test can prove that nothing
 * reconnected.
 */
import type { ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseCommand, silentLogger, startAgent, type StartedAgent } from "@socktop/agent";
import { createSelfSignedCertificate } from "../../../agent/src/tls/self-signed.js";
import { freePort, spawnAgent } from "./tmux.js";

export const FLEET_TOKEN = "fleet-secret-token";

export interface CountedAgent {
  agent: StartedAgent;
  port: number;
  /** WebSocket upgrades accepted so far. */
  upgrades: number;
  /** Connections open now. */
  open: number;
}

export interface Fleet {
  dir: string;
  plain: CountedAgent;
  token: CountedAgent;
  tls: CountedAgent;
  /** CA file that pins the TLS agent. */
  caFile: string;
  /** File holding FLEET_TOKEN (for token_file). */
  tokenFile: string;
  killablePort: number;
  killable: ChildProcess | null;
  deadPort: number;
  hangPort: number;
  startKillable(): Promise<void>;
  killKillable(): Promise<void>;
  /** Writes a profiles.json naming every host, plus groups; returns XDG_CONFIG_HOME. */
  writeProfiles(groups?: Record<string, string[]>): string;
  close(): Promise<void>;
}

async function counted(args: string[], env: NodeJS.ProcessEnv, tls?: { cert: string; key: string }): Promise<CountedAgent> {
  const command = parseCommand(["--bind", "127.0.0.1", "--port", "0", ...args], env);
  if (command.kind !== "run") throw new Error("unexpected agent command");
  const agent = await startAgent(command.config, silentLogger, tls ? { tls } : {});
  const c: CountedAgent = { agent, port: agent.address.port, upgrades: 0, open: 0 };
  agent.server.http.on("upgrade", (_req, socket: Socket) => {
    c.upgrades++;
    c.open++;
    socket.once("close", () => c.open--);
  });
  return c;
}

export async function startFleet(): Promise<Fleet> {
  const dir = mkdtempSync(join(tmpdir(), "socktop-fleet-"));
  const names = { commonName: "localhost", dns: ["localhost"], ips: ["127.0.0.1"] };
  const cert = await createSelfSignedCertificate(names);
  const caFile = join(dir, "agent-ca.pem");
  writeFileSync(caFile, cert.cert);
  const tokenFile = join(dir, "token");
  writeFileSync(tokenFile, `${FLEET_TOKEN}\n`, { mode: 0o600 });

  const plain = await counted([], {});
  const token = await counted([], { SOCKTOP_TOKEN: FLEET_TOKEN });
  const tls = await counted(["--enableSSL"], {}, cert);
  const killablePort = await freePort();
  const deadPort = await freePort();
  const hangSockets = new Set<Socket>();
  const hang: Server = createServer((s) => {
    // Accept and say nothing, ever.
    hangSockets.add(s);
    s.on("close", () => hangSockets.delete(s));
    s.on("error", () => undefined);
  });
  await new Promise<void>((r) => hang.listen(0, "127.0.0.1", r));
  const hangPort = (hang.address() as { port: number }).port;

  const fleet: Fleet = {
    dir,
    plain,
    token,
    tls,
    caFile,
    tokenFile,
    killablePort,
    killable: null,
    deadPort,
    hangPort,
    async startKillable() {
      fleet.killable = (await spawnAgent(["--bind", "127.0.0.1", "--port", String(killablePort)])).child;
    },
    async killKillable() {
      const child = fleet.killable;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGKILL");
      await exited;
      fleet.killable = null;
    },
    writeProfiles(groups = {}) {
      const config = join(dir, "config");
      const profiles = {
        plain: { url: `ws://127.0.0.1:${plain.port}/ws` },
        secured: { url: `ws://127.0.0.1:${token.port}/ws`, token_file: tokenFile },
        pinned: { url: `wss://127.0.0.1:${tls.port}/ws`, tls_ca: caFile },
        restarted: { url: `ws://127.0.0.1:${killablePort}/ws` },
        never: { url: `ws://127.0.0.1:${deadPort}/ws` },
      };
      rmSync(join(config, "socktop"), { recursive: true, force: true });
      mkdirSync(join(config, "socktop"), { recursive: true });
      writeFileSync(join(config, "socktop", "profiles.json"), JSON.stringify({ profiles, groups, version: 0 }, null, 2));
      return config;
    },
    async close() {
      await fleet.killKillable();
      for (const s of hangSockets) s.destroy();
      await new Promise((r) => hang.close(r));
      for (const a of [plain, token, tls]) await a.agent.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return fleet;
}
