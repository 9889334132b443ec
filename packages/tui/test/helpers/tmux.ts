/**
 * The real program in a real terminal: a tmux server of our own (its own
 * socket, so nothing touches the user's tmux), one pane, keys and mouse
 * sequences in, the screen text out.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "..");
export const TUI_SRC = join(ROOT, "packages", "tui", "src", "cli.ts");
export const AGENT_SRC = join(ROOT, "packages", "agent", "src", "cli.ts");

export const HAVE_TMUX = spawnSync("tmux", ["-V"], { stdio: "ignore" }).status === 0;

/** Run TypeScript sources the way the test runner does, so no build is needed. */
export function nodeSource(script: string, args: readonly string[]): string[] {
  return [process.execPath, "--conditions=source", "--import", "tsx", script, ...args];
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface AgentProcess {
  child: ChildProcess;
  /** Everything the agent wrote to stderr so far (its log). */
  log(): string;
}

/** The agent from source as its own process (so it can be killed for real); resolves once it listens. */
export async function spawnAgent(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<AgentProcess> {
  const [node, ...rest] = nodeSource(AGENT_SRC, args);
  const child = spawn(node!, rest, { stdio: ["ignore", "ignore", "pipe"], env });
  let err = "";
  child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + 20_000;
  while (!/listening on/.test(err)) {
    if (child.exitCode !== null) throw new Error(`agent exited: ${err}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`agent did not start: ${err}`);
    }
    await sleep(50);
  }
  return { child, log: () => err };
}

let counter = 0;

export class TmuxPane {
  readonly socket: string;
  private socketPath = "";

  private constructor(socket: string) {
    this.socket = socket;
  }

  /**
   * Start `argv` in a fresh tmux server. When the program exits, the pane
   * prints its exit status and stays, so the terminal state can be inspected.
   */
  static start(argv: readonly string[], options: { width?: number; height?: number; env?: Record<string, string> } = {}): TmuxPane {
    const socket = `socktop-tui-test-${process.pid}-${++counter}`;
    const env = Object.entries(options.env ?? {})
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(" ");
    const command = `cd ${quote(ROOT)} && env ${env} ${argv.map(quote).join(" ")}; echo "[exited $?]"; exec sleep 60`;
    const r = spawnSync(
      "tmux",
      ["-L", socket, "-f", "/dev/null", "new-session", "-d", "-x", String(options.width ?? 80), "-y", String(options.height ?? 24), command],
      { encoding: "utf8" },
    );
    if (r.status !== 0) throw new Error(`tmux new-session failed: ${r.stderr}`);
    const pane = new TmuxPane(socket);
    pane.socketPath = pane.display("#{socket_path}");
    return pane;
  }

  private tmux(...args: string[]): string {
    const r = spawnSync("tmux", ["-L", this.socket, ...args], { encoding: "utf8" });
    return r.stdout ?? "";
  }

  capture(): string {
    return this.tmux("capture-pane", "-p");
  }

  /** The screen with its SGR attributes as escape sequences (e.g. to find reverse video). */
  captureStyled(): string {
    return this.tmux("capture-pane", "-p", "-e");
  }

  /** tmux's view of the pane: e.g. "#{alternate_on}". */
  display(format: string): string {
    return this.tmux("display-message", "-p", format).trim();
  }

  /** Named keys (Enter, Escape, Down…) or single characters. */
  keys(...keys: string[]): void {
    this.tmux("send-keys", ...keys);
  }

  /** Bytes as typed, escape sequences included (e.g. an SGR mouse report). */
  literal(text: string): void {
    this.tmux("send-keys", "-l", text);
  }

  /** A left click at 0-based cell (x, y), as an SGR (1006) mouse report. */
  click(x: number, y: number): void {
    this.literal(`\x1b[<0;${x + 1};${y + 1}M`);
    this.literal(`\x1b[<0;${x + 1};${y + 1}m`);
  }

  async waitFor(test: RegExp | ((screen: string) => boolean), timeoutMs = 8000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let screen = "";
    while (Date.now() < deadline) {
      screen = this.capture();
      if (typeof test === "function" ? test(screen) : test.test(screen)) return screen;
      await sleep(50);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${String(test)}; screen:\n${screen}`);
  }

  /** Resize the window (and so the pane): the program gets SIGWINCH. */
  resize(width: number, height: number): void {
    this.tmux("resize-window", "-x", String(width), "-y", String(height));
  }

  kill(): void {
    spawnSync("tmux", ["-L", this.socket, "kill-server"], { stdio: "ignore" });
    // tmux may leave its socket file behind.
    if (this.socketPath) rmSync(this.socketPath, { force: true });
  }
}

/** What an end-to-end test started, to be stopped by pid (never by name) and removed in its `after`. */
export class Started {
  readonly panes: TmuxPane[] = [];
  /** Processes that are not our children (their grandchildren too): killed last-started first. */
  readonly pids: number[] = [];
  readonly children: ChildProcess[] = [];
  readonly dirs: string[] = [];

  cleanup(): void {
    for (const p of this.panes) p.kill();
    // Grandchildren first: their parent (ours) is still there to reap them.
    for (const pid of [...this.pids].reverse()) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    for (const c of this.children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    for (const d of this.dirs) rmSync(d, { recursive: true, force: true });
  }
}

/** The row (0-based) of the first line containing `needle`. */
export function rowOf(screen: string, needle: string): number {
  return screen.split("\n").findIndex((l) => l.includes(needle));
}
