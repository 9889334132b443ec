/** Cumulative bytes per interface from systeminformation's networkStats("*"). */
import type { NetworkInterface } from "@socktop/protocol";
import type { SiNetworkStats } from "./system-information.js";

export function networksFromSi(stats: readonly SiNetworkStats[]): NetworkInterface[] {
  const interfaces: NetworkInterface[] = [];
  for (const s of stats) {
    if (s.iface === "" || !Number.isFinite(s.rx_bytes) || !Number.isFinite(s.tx_bytes)) continue;
    interfaces.push({ name: s.iface, received: s.rx_bytes, transmitted: s.tx_bytes });
  }
  return interfaces;
}
