/** Cumulative bytes per interface from systeminformation's networkStats(). */
import type { NetworkInterface } from "@socktop/protocol";
import type { SiNetworkStats } from "./system-information.js";

/**
 * The interfaces to ask si about, from os.networkInterfaces(): each once, a
 * Linux alias label ("eth0:1", an address of eth0) as its interface, as si's
 * own "*" list does.
 */
export function interfaceNames(interfaces: Readonly<Record<string, unknown>>, platform: NodeJS.Platform): string[] {
  const aliases = platform === "linux" || platform === "android";
  return [...new Set(Object.keys(interfaces).map((name) => (aliases ? name.split(":")[0]! : name)))].filter((n) => n !== "");
}

export function networksFromSi(stats: readonly SiNetworkStats[]): NetworkInterface[] {
  const interfaces: NetworkInterface[] = [];
  for (const s of stats) {
    if (s.iface === "" || !Number.isFinite(s.rx_bytes) || !Number.isFinite(s.tx_bytes)) continue;
    interfaces.push({ name: s.iface, received: s.rx_bytes, transmitted: s.tx_bytes });
  }
  return interfaces;
}
