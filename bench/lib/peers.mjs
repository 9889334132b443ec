/**
 * The servers under test, each started on 127.0.0.1 with a port of its own
 * and stopped by PID: the socktop agent (built CLI), Prometheus node_exporter
 * and Glances' REST server. Also installs the Debian peers when missing.
 */
import { spawnSync } from "node:child_process";
import { existsSync, writeFileSync, unlinkSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import WebSocket from "ws";
import { LOOPBACK, freePort, httpGet, startProcess, waitFor, which } from "./util.mjs";

export const NODE_EXPORTER_BIN = "prometheus-node-exporter";
export const GLANCES_BIN = "glances";

/**
 * Installs prometheus-node-exporter, glances and python3-bottle (Glances'
 * web server) from Debian when they are missing and we are root. A temporary
 * policy-rc.d (only when none exists) keeps the packages from starting their
 * system services: the bench starts its own copies on loopback.
 */
export function ensurePeers(ctx) {
  const missing = [];
  if (!which(NODE_EXPORTER_BIN)) missing.push("prometheus-node-exporter");
  if (!which(GLANCES_BIN)) missing.push("glances");
  const bottle = spawnSync("/usr/bin/python3", ["-c", "import bottle"], { stdio: "ignore" });
  if (bottle.status !== 0) missing.push("python3-bottle");
  if (missing.length === 0) return { installed: [], missing: [] };
  if (ctx.noInstall || typeof process.getuid !== "function" || process.getuid() !== 0 || !which("apt-get")) {
    ctx.log(`peers missing and not installed: ${missing.join(", ")}`);
    return { installed: [], missing };
  }
  ctx.log(`installing ${missing.join(", ")} with apt-get (services are not started)`);
  const policy = "/usr/sbin/policy-rc.d";
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, "#!/bin/sh\nexit 101\n", { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    const install = () =>
      spawnSync("apt-get", ["install", "-y", "-q", "--no-install-recommends", ...missing], { env, encoding: "utf8", timeout: 600_000 });
    let r = install();
    if (r.status !== 0) {
      spawnSync("apt-get", ["update", "-q"], { env, encoding: "utf8", timeout: 300_000 });
      r = install();
    }
    if (r.status !== 0) {
      ctx.log(`apt-get install failed: ${(r.stderr || "").slice(-500)}`);
      return { installed: [], missing };
    }
  } finally {
    if (ownPolicy) unlinkSync(policy);
  }
  return { installed: missing, missing: [] };
}

export function peerVersions() {
  const v = {};
  const ne = spawnSync(NODE_EXPORTER_BIN, ["--version"], { encoding: "utf8" });
  v.nodeExporter = /version ([^\s]+)/.exec(`${ne.stdout}${ne.stderr}`)?.[1] ?? null;
  const gl = spawnSync(GLANCES_BIN, ["--version"], { encoding: "utf8" });
  v.glances = /Glances v([^\s]+)/.exec(`${gl.stdout}${gl.stderr}`)?.[1] ?? null;
  v.psutil = /PsUtil v([^\s]+)/.exec(`${gl.stdout}${gl.stderr}`)?.[1] ?? null;
  const ps = spawnSync("ps", ["--version"], { encoding: "utf8" });
  v.ps = ps.stdout.trim() || null;
  const cc = spawnSync("cc", ["--version"], { encoding: "utf8" });
  v.cc = cc.stdout?.split("\n")[0] ?? null;
  return v;
}

// ---------------------------------------------------------------- socktop agent

/** The agent command as npm's bin link and `npm start` run it (packages/agent/build.mjs). */
export const agentCliPath = (root) => join(root, "packages", "agent", "dist", "cli.cjs");

/**
 * Starts the built agent CLI on 127.0.0.1 with a free port (`--port 0`; the
 * start-up line tells which). `env` adds SOCKTOP_* variables; `cli` runs
 * another build (an A/B tool's copy of dist/).
 */
export async function startAgent(
  ctx,
  { env = {}, label = "socktop_agent", nodeArgs = ctx.agentNodeArgs ?? [], cli = agentCliPath(ctx.root) } = {},
) {
  const proc = startProcess(process.execPath, [...nodeArgs, cli, "--bind", LOOPBACK, "--port", "0"], {
    label,
    env: { ...process.env, ...env },
  });
  const port = await waitFor(
    () => {
      if (proc.child.exitCode !== null) throw new Error(`agent exited at start: ${proc.output().slice(-1500)}`);
      const m = /bound to [^\s]*:(\d+)\)/.exec(proc.output());
      return m ? Number(m[1]) : null;
    },
    // Generous: on a busy shared machine a start-up has taken over 20 s.
    60000,
    "the agent's start-up line",
  );
  return { ...proc, port, url: `ws://${LOOPBACK}:${port}/ws`, name: "socktop_agent" };
}

// ---------------------------------------------------------------- node_exporter

/** Query strings that make one node_exporter scrape collect only what the agent reports. */
/**
 * The floor of any Node WebSocket server: the workspace's ws (as the agent uses it) answering
 * every frame with the same 400-byte text, nothing else. Its CPU per request is what the
 * agent pays before doing anything of its own (wake-up, socket read, ws framing, write).
 */
const WS_FLOOR_SERVER = `
const { WebSocketServer } = require(process.env.SOCKTOP_BENCH_WS);
const reply = Buffer.from(JSON.stringify({ floor: "x".repeat(386) }));
const server = require("node:http").createServer();
new WebSocketServer({ server, perMessageDeflate: false }).on("connection", (ws) => ws.on("message", () => ws.send(reply, { binary: false })));
server.listen(0, process.env.SOCKTOP_BENCH_HOST, () => console.log("bound to " + process.env.SOCKTOP_BENCH_HOST + ":" + server.address().port + ")"));
`;

export async function startWsFloor(ctx, { label = "ws-floor" } = {}) {
  const ws = createRequire(join(ctx.root, "packages", "agent", "package.json")).resolve("ws");
  const proc = startProcess(process.execPath, ["-e", WS_FLOOR_SERVER], { label, env: { ...process.env, SOCKTOP_BENCH_WS: ws, SOCKTOP_BENCH_HOST: LOOPBACK } });
  const port = await waitFor(() => Number(/bound to [^\s]*:(\d+)\)/.exec(proc.output())?.[1]) || null, 20000, "the ws floor server");
  return { ...proc, url: `ws://${LOOPBACK}:${port}/` };
}

export const NODE_EXPORTER_QUERIES = {
  // cpu + per-core, memory + swap, network interfaces, temperatures (hwmon)
  metrics: "/metrics?collect[]=cpu&collect[]=meminfo&collect[]=netdev&collect[]=hwmon",
  // mounted filesystems: size and available
  disks: "/metrics?collect[]=filesystem",
  // node_exporter has no per-process list (that is process-exporter's job)
  processes: null,
};

export async function startNodeExporter(ctx) {
  if (!which(NODE_EXPORTER_BIN)) return null;
  const port = await freePort();
  const proc = startProcess(
    which(NODE_EXPORTER_BIN),
    [`--web.listen-address=${LOOPBACK}:${port}`, "--log.level=warn"],
    { label: "node_exporter" },
  );
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`node_exporter exited: ${proc.output().slice(-1000)}`);
      try {
        return (await httpGet(port, "/metrics?collect[]=loadavg", { timeoutMs: 2000 })).status === 200;
      } catch {
        return false;
      }
    },
    20000,
    "node_exporter",
  );
  return { ...proc, port, name: "node_exporter" };
}

// ---------------------------------------------------------------- glances

/** Glances plugins behind each kind of request the agent serves. */
export const GLANCES_PLUGINS = {
  metrics: ["cpu", "percpu", "mem", "memswap", "network", "sensors", "system"],
  disks: ["fs", "diskio"],
  processes: ["processcount", "processlist"],
};

/** REST paths that return the data of one agent request. */
export const GLANCES_PATHS = {
  metrics: ["/api/3/cpu", "/api/3/percpu", "/api/3/mem", "/api/3/memswap", "/api/3/network", "/api/3/sensors"],
  disks: ["/api/3/fs"],
  processes: ["/api/3/processlist"],
};

/**
 * Starts `glances -w --disable-webui` on loopback with only `plugins`
 * enabled. Two clocks gate Glances' work: the REST server refreshes the
 * stats at most once per `cachedTime` seconds (an integer; 0 = on every
 * request), and each plugin refreshes at most once per its own `refresh`
 * (seconds; `refresh` maps plugin -> seconds, `time` is the default for the
 * rest, 0 = always). Both are written into a config file of our own, so the
 * system's /etc/glances/glances.conf does not change what is measured.
 */
export async function startGlances(ctx, { plugins, cachedTime = 1, time = 2, refresh = {}, label = "glances" }) {
  if (!which(GLANCES_BIN)) return null;
  const port = await freePort();
  const conf = join(ctx.outDir, `${label}.conf`);
  const sections = ["[global]", "check_update=false", "history_size=1200", ""];
  for (const [plugin, seconds] of Object.entries(refresh)) sections.push(`[${plugin}]`, `refresh=${seconds}`, "");
  writeFileSync(conf, sections.join("\n"));
  const args = [
    "-C", conf, "-w", "--disable-webui", "-B", LOOPBACK, "-p", String(port),
    "--disable-check-update", "--cached-time", String(cachedTime), "-t", String(time),
  ];
  if (plugins) args.push("--disable-plugin", "all", "--enable-plugin", plugins.join(","));
  // Debian's python3, which sees Debian's python3-* packages (a pyenv python3 may come first on PATH).
  const proc = startProcess("/usr/bin/python3", [which(GLANCES_BIN), ...args], { label, env: { ...process.env, HOME: ctx.outDir } });
  await waitFor(
    async () => {
      if (proc.child.exitCode !== null) throw new Error(`glances exited: ${proc.output().slice(-1000)}`);
      try {
        return (await httpGet(port, "/api/3/status", { timeoutMs: 2000 })).status === 200;
      } catch {
        return false;
      }
    },
    30000,
    "glances",
  );
  return { ...proc, port, name: "glances" };
}

// ---------------------------------------------------------------- a WebSocket client for the agent

/** One connection to the agent; request(kind) resolves { ms, bytes, data, binary } in request order. */
export async function connectAgent(url) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  await new Promise((resolve, reject) => {
    ws.once("open", resolve);
    ws.once("error", reject);
  });
  const queue = [];
  ws.on("message", (data, binary) => {
    const entry = queue.shift();
    if (!entry) return;
    const buf = Buffer.isBuffer(data) ? data : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]);
    entry.resolve({ ms: performance.now() - entry.t0, bytes: buf.length, data: buf, binary });
  });
  const fail = (error) => {
    for (const entry of queue.splice(0)) entry.reject(error);
  };
  ws.on("close", () => fail(new Error("connection closed")));
  ws.on("error", fail);
  return {
    ws,
    request(kind) {
      return new Promise((resolve, reject) => {
        queue.push({ t0: performance.now(), resolve, reject });
        ws.send(JSON.stringify({ type: kind }));
      });
    },
    close() {
      return new Promise((resolve) => {
        if (ws.readyState === WebSocket.CLOSED) return resolve();
        ws.once("close", resolve);
        ws.close();
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000).unref();
      });
    },
  };
}
