/** Load average (/proc/loadavg) and uptime (/proc/uptime). */
import { readTextSync } from "./procfs.js";

export interface LoadAverage {
  /** Exponentially damped run-queue length over 1, 5 and 15 minutes. */
  one: number;
  five: number;
  fifteen: number;
  /** Runnable scheduling entities (threads) right now, and how many exist. */
  running: number;
  total: number;
}

export interface Uptime {
  /** Seconds since boot. */
  uptimeSeconds: number;
  /** Sum over CPUs of seconds spent idle since boot. */
  idleSeconds: number;
}

const DECIMAL = /^[0-9]+(\.[0-9]+)?$/;
const INTEGER = /^[0-9]+$/;

/** Parses "0.52 0.58 0.59 2/1234 5678"; null when it is not that. */
export function parseLoadavg(text: string): LoadAverage | null {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 4) return null;
  const [a, b, c, tasks] = fields as [string, string, string, string];
  const slash = tasks.indexOf("/");
  const running = tasks.slice(0, slash);
  const total = tasks.slice(slash + 1);
  if (!DECIMAL.test(a) || !DECIMAL.test(b) || !DECIMAL.test(c) || slash < 0 || !INTEGER.test(running) || !INTEGER.test(total)) return null;
  return { one: Number(a), five: Number(b), fifteen: Number(c), running: Number(running), total: Number(total) };
}

/** Parses "12345.67 23456.78"; null when it is not that. */
export function parseUptime(text: string): Uptime | null {
  const fields = text.trim().split(/\s+/);
  if (fields.length < 2) return null;
  const [up, idle] = fields as [string, string];
  if (!DECIMAL.test(up) || !DECIMAL.test(idle)) return null;
  return { uptimeSeconds: Number(up), idleSeconds: Number(idle) };
}

/** Load average, or null when /proc/loadavg is missing or unreadable (some containers hide it). */
export function readLoadavgSync(procRoot = "/proc"): LoadAverage | null {
  const text = readTextSync(`${procRoot}/loadavg`);
  return text === null ? null : parseLoadavg(text);
}

export function readUptimeSync(procRoot = "/proc"): Uptime | null {
  const text = readTextSync(`${procRoot}/uptime`);
  return text === null ? null : parseUptime(text);
}
