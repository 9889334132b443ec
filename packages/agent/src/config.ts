/**
 * Command line and environment → one validated configuration.
 * Pure: takes argv and env, returns a value or throws ConfigError (one line, no stack).
 */
import { BACKEND_NAMES, defaultBackend, type BackendName } from "./backend-choice.js";
import { CommandLineError, parseCommandLine, type OptionsConfig } from "./cli-args.js";
import { isIP } from "node:net";
import { defaultTlsDir } from "./tls/paths.js";
import { isValidDnsName } from "./tls/names.js";
import { originalTlsDir } from "./tls/original-dir.js";

/** True when `bind` accepts connections from this machine only. */
export function isLoopbackBind(bind: string): boolean {
  return bind === "localhost" || bind === "::1" || /^127\.[0-9]+\.[0-9]+\.[0-9]+$/.test(bind);
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export interface TlsConfig {
  /** Where the generated certificate and key live ($XDG_DATA_HOME/socktop_agent/tls). */
  dir: string;
  /** The original Rust agent's directory ($XDG_CONFIG_HOME/socktop_agent/tls), used while `dir` has no pair. */
  originalDir?: string | null;
  /** Operator-supplied certificate and key; when absent a self-signed pair is generated and reused. */
  certFile: string | null;
  keyFile: string | null;
  /** Comma-separated extra subject alternative names (SOCKTOP_AGENT_EXTRA_SANS). */
  extraSans: string | undefined;
}

export interface AgentConfig {
  port: number;
  bind: string;
  tls: TlsConfig | null;
  token: string | null;
  allowedOrigins: string | undefined;
  maxClients: number;
  maxFrameBytes: number;
  metricsTtlMs: number;
  processesTtlMs: number;
  disksTtlMs: number;
  gpuEnabled: boolean;
  temperatureEnabled: boolean;
  /** How long one sensor or device file read may take before its reading is reported null (SOCKTOP_AGENT_SENSOR_TIMEOUT_MS). */
  sensorTimeoutMs: number;
  procRoot: string;
  sysRoot: string;
  /** Where the data comes from (SOCKTOP_AGENT_BACKEND): /proc and /sys, or the portable library. */
  backend: BackendName;
  prometheus: PrometheusConfig;
  /** Serve the browser dashboard at GET / (--web). */
  web: boolean;
  /** Serve {"type":"signal"} requests (--allow-signals): needs a token unless bound to loopback only. */
  allowSignals: boolean;
}

export interface PrometheusConfig {
  /** Serve GET /metrics in the Prometheus exposition format. */
  enabled: boolean;
  /** Serve it on this separate port instead of the agent's own (null: same port). */
  port: number | null;
  /** Per-process series for the top N processes by CPU; 0 disables them (high cardinality). */
  topProcesses: number;
}

/** Whether the settings turn the Prometheus endpoint on (a separate port implies it). */
export function prometheusEnabled(settings: { enabled: boolean; port: number | null }): boolean {
  return settings.enabled || settings.port !== null;
}

export type Command = { kind: "run"; config: AgentConfig } | { kind: "help" } | { kind: "version" };

export const DEFAULT_PORT = 3000;
export const DEFAULT_TLS_PORT = 8443;
export const DEFAULT_MAX_CLIENTS = 1024;
/** Requests are a few dozen bytes; anything near this is not a request. */
export const DEFAULT_MAX_FRAME_BYTES = 4096;

export const HELP = `Usage: socktop_agent [options] [PORT]

Lightweight on-demand metrics WebSocket server for the socktop TUI.
Serves ws://HOST:PORT/ws (wss:// with TLS), GET /healthz, and with --web a dashboard at GET /.

Options:
  -p, --port N          port to listen on (default 3000, or 8443 with TLS, 0 for any free port; env SOCKTOP_PORT)
      --bind ADDR       address to listen on (default 0.0.0.0; env SOCKTOP_BIND)
      --enableSSL       serve TLS with a self-signed certificate (env SOCKTOP_ENABLE_SSL=1)
      --tls-cert FILE   use this certificate (PEM) instead of the generated one (implies TLS)
      --tls-key FILE    the private key (PEM) for --tls-cert
      --allow-origin L  comma-separated browser origins allowed to connect (env SOCKTOP_ALLOW_ORIGIN)
      --prometheus      serve GET /metrics for Prometheus on the agent's port (env SOCKTOP_PROMETHEUS=1)
      --prometheus-port N   serve /metrics on a separate port instead (env SOCKTOP_PROMETHEUS_PORT)
      --prometheus-top-processes N  per-process series for the top N processes by CPU
                        (default 0: off; env SOCKTOP_PROMETHEUS_TOP_PROCESSES)
      --proc-root DIR   read procfs from DIR (default /proc; env SOCKTOP_PROC_ROOT),
                        e.g. /host/proc in a container with the host's /proc mounted there
      --sys-root DIR    read sysfs from DIR (default /sys; env SOCKTOP_SYS_ROOT), e.g. /host/sys
      --web             serve the browser dashboard at GET / (env SOCKTOP_WEB=1)
      --allow-signals   let clients send TERM, INT, HUP, KILL, STOP or CONT to processes (needs
                        SOCKTOP_TOKEN unless --bind is a loopback address; see docs/security.md)
  -V, --version         print the version and exit
  -h, --help            print this help and exit

Environment:
  SOCKTOP_TOKEN=secret                 require ?token=secret (or Authorization: Bearer secret)
  SOCKTOP_AGENT_GPU=0                  disable GPU collection
  SOCKTOP_AGENT_TEMP=0                 disable temperature collection
  SOCKTOP_AGENT_METRICS_TTL_MS=250     cache window of fast metrics
  SOCKTOP_AGENT_PROCESSES_TTL_MS=1000  cache window of the process list
  SOCKTOP_AGENT_DISKS_TTL_MS=1000      cache window of disks
  SOCKTOP_AGENT_SENSOR_TIMEOUT_MS=500  a temperature or device file slower than this reads as null
  SOCKTOP_AGENT_BACKEND=portable       read through the portable backend (default: linux on Linux,
                                       portable elsewhere)
  SOCKTOP_AGENT_EXTRA_SANS=a,b         extra names/IPs in the generated certificate
  SOCKTOP_MAX_CLIENTS=1024             concurrent connections allowed
  XDG_DATA_HOME                        certificate directory is $XDG_DATA_HOME/socktop_agent/tls
`;

function parseBackend(value: string | undefined): BackendName {
  const v = value?.trim().toLowerCase() ?? "";
  if (v === "") return defaultBackend();
  if (!(BACKEND_NAMES as readonly string[]).includes(v)) {
    throw new ConfigError(`invalid SOCKTOP_AGENT_BACKEND '${value}': expected ${BACKEND_NAMES.join(" or ")}`);
  }
  if (v === "linux" && process.platform !== "linux") {
    throw new ConfigError(`SOCKTOP_AGENT_BACKEND=linux needs Linux (/proc and /sys); this is ${process.platform}: use portable`);
  }
  return v as BackendName;
}

function parsePort(value: string, source: string): number {
  // 0 asks the kernel for a free port (the start-up line tells which).
  if (!/^[0-9]+$/.test(value)) throw new ConfigError(`invalid port '${value}' (${source}): expected a number from 0 to 65535`);
  const port = Number(value);
  if (port > 65535) throw new ConfigError(`invalid port ${value} (${source}): expected a number from 0 to 65535`);
  return port;
}

/**
 * An address to listen on: an IP address, or a host name (localhost, a name
 * of this machine). Checked here, so that a typo such as 300.1.1.1 is one
 * line and exit status 2, not a warning followed by a failed DNS lookup.
 */
function parseBind(value: string, source: string): string {
  const bare = value.startsWith("[") && value.endsWith("]") ? value.slice(1, -1) : value;
  if (isIP(bare) !== 0) return bare;
  // All-numeric labels are meant as an IPv4 address, and this one is not valid.
  const numeric = /^[0-9.]+$/.test(bare);
  if (!numeric && isValidDnsName(bare) && !bare.startsWith("*")) return bare;
  throw new ConfigError(`invalid ${source} '${value}': expected an IP address (such as 127.0.0.1 or ::) or a host name`);
}

function parseFlag(value: string | undefined, name: string, fallback: boolean): boolean {
  if (value === undefined || value === "") return fallback;
  const v = value.trim().toLowerCase();
  if (["1", "true", "yes", "on"].includes(v)) return true;
  if (["0", "false", "no", "off"].includes(v)) return false;
  throw new ConfigError(`invalid ${name}='${value}': expected 1 or 0`);
}

function parseCount(value: string | undefined, name: string, fallback: number, min: number, unit = ""): number {
  if (value === undefined || value.trim() === "") return fallback;
  if (!/^[0-9]+$/.test(value.trim())) {
    const what = min === 0 ? "a non-negative whole number" : `a whole number of at least ${min}`;
    throw new ConfigError(`invalid ${name}='${value}': expected ${what}${unit}`);
  }
  const n = Number(value.trim());
  if (n < min) throw new ConfigError(`invalid ${name}=${value}: must be at least ${min}`);
  return n;
}

/**
 * Every command-line option, once: util.parseArgs reads this table under the
 * rule both socktop programs share (cli-args.ts): strict, unknown options and
 * values given to switches (`--enableSSL=false`) refused with exit status 2.
 */
export const OPTIONS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "V" },
  port: { type: "string", short: "p" },
  bind: { type: "string" },
  enableSSL: { type: "boolean" },
  "enable-ssl": { type: "boolean" },
  "tls-cert": { type: "string" },
  "tls-key": { type: "string" },
  "allow-origin": { type: "string" },
  prometheus: { type: "boolean" },
  "prometheus-port": { type: "string" },
  "prometheus-top-processes": { type: "string" },
  "proc-root": { type: "string" },
  "sys-root": { type: "string" },
  web: { type: "boolean" },
  "allow-signals": { type: "boolean" },
} as const satisfies OptionsConfig;

export function parseCommand(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Command {
  let parsed;
  try {
    parsed = parseCommandLine(argv, OPTIONS);
  } catch (error) {
    if (error instanceof CommandLineError) throw new ConfigError(error.message);
    throw error;
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };

  let port: number | null = values.port !== undefined ? parsePort(values.port, "--port") : null;
  for (const arg of positionals) {
    // A bare port, as the original agent takes it (`socktop_agent 8080`).
    if (/^[0-9]+$/.test(arg) && port === null) port = parsePort(arg, "positional argument");
    else throw new ConfigError(`unexpected argument '${arg}' (see --help)`);
  }
  const bind = parseBind(values.bind ?? (env.SOCKTOP_BIND || "0.0.0.0"), values.bind !== undefined ? "--bind" : "SOCKTOP_BIND");
  const enableSsl = values.enableSSL === true || values["enable-ssl"] === true || parseFlag(env.SOCKTOP_ENABLE_SSL, "SOCKTOP_ENABLE_SSL", false);
  const certFile = values["tls-cert"] ?? null;
  const keyFile = values["tls-key"] ?? null;
  const allowedOrigins = values["allow-origin"] ?? env.SOCKTOP_ALLOW_ORIGIN;
  const prometheusPort =
    values["prometheus-port"] !== undefined
      ? parsePort(values["prometheus-port"], "--prometheus-port")
      : env.SOCKTOP_PROMETHEUS_PORT
        ? parsePort(env.SOCKTOP_PROMETHEUS_PORT, "SOCKTOP_PROMETHEUS_PORT")
        : null;
  // A port of its own implies the feature, whichever way it was given.
  const prometheus = values.prometheus === true || prometheusPort !== null || parseFlag(env.SOCKTOP_PROMETHEUS, "SOCKTOP_PROMETHEUS", false);
  const topProcesses =
    values["prometheus-top-processes"] !== undefined
      ? parseCount(values["prometheus-top-processes"], "--prometheus-top-processes", 0, 0)
      : parseCount(env.SOCKTOP_PROMETHEUS_TOP_PROCESSES, "SOCKTOP_PROMETHEUS_TOP_PROCESSES", 0, 0);
  const procRoot = values["proc-root"] ?? (env.SOCKTOP_PROC_ROOT || "/proc");
  const sysRoot = values["sys-root"] ?? (env.SOCKTOP_SYS_ROOT || "/sys");

  if ((certFile === null) !== (keyFile === null)) {
    throw new ConfigError(certFile === null ? "--tls-key needs --tls-cert too" : "--tls-cert needs --tls-key too");
  }
  const tlsEnabled = enableSsl || certFile !== null;
  if (port === null && env.SOCKTOP_PORT) port = parsePort(env.SOCKTOP_PORT, "SOCKTOP_PORT");

  const token = env.SOCKTOP_TOKEN && env.SOCKTOP_TOKEN.length > 0 ? env.SOCKTOP_TOKEN : null;
  const allowSignals = values["allow-signals"] === true;
  if (allowSignals && token === null && !isLoopbackBind(bind)) {
    throw new ConfigError(
      `--allow-signals without a token would let anyone who reaches ${bind} kill processes: set SOCKTOP_TOKEN, or bind to loopback only (--bind 127.0.0.1)`,
    );
  }
  return {
    kind: "run",
    config: {
      port: port ?? (tlsEnabled ? DEFAULT_TLS_PORT : DEFAULT_PORT),
      bind,
      tls: tlsEnabled ? { dir: defaultTlsDir(env), originalDir: originalTlsDir(env), certFile, keyFile, extraSans: env.SOCKTOP_AGENT_EXTRA_SANS } : null,
      token,
      allowedOrigins,
      maxClients: parseCount(env.SOCKTOP_MAX_CLIENTS, "SOCKTOP_MAX_CLIENTS", DEFAULT_MAX_CLIENTS, 1),
      maxFrameBytes: DEFAULT_MAX_FRAME_BYTES,
      metricsTtlMs: parseCount(env.SOCKTOP_AGENT_METRICS_TTL_MS, "SOCKTOP_AGENT_METRICS_TTL_MS", 250, 0, " of milliseconds"),
      processesTtlMs: parseCount(env.SOCKTOP_AGENT_PROCESSES_TTL_MS, "SOCKTOP_AGENT_PROCESSES_TTL_MS", 1000, 0, " of milliseconds"),
      disksTtlMs: parseCount(env.SOCKTOP_AGENT_DISKS_TTL_MS, "SOCKTOP_AGENT_DISKS_TTL_MS", 1000, 0, " of milliseconds"),
      gpuEnabled: parseFlag(env.SOCKTOP_AGENT_GPU, "SOCKTOP_AGENT_GPU", true),
      temperatureEnabled: parseFlag(env.SOCKTOP_AGENT_TEMP, "SOCKTOP_AGENT_TEMP", true),
      sensorTimeoutMs: parseCount(env.SOCKTOP_AGENT_SENSOR_TIMEOUT_MS, "SOCKTOP_AGENT_SENSOR_TIMEOUT_MS", 500, 1, " of milliseconds"),
      procRoot,
      sysRoot,
      backend: parseBackend(env.SOCKTOP_AGENT_BACKEND),
      prometheus: { enabled: prometheus, port: prometheusPort, topProcesses },
      web: values.web === true || parseFlag(env.SOCKTOP_WEB, "SOCKTOP_WEB", false),
      allowSignals,
    },
  };
}
