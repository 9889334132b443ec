/** Cumulative bytes per network interface from /proc/net/dev. */
import type { NetworkInterface } from "@socktop/protocol";
import type { Collector } from "./collector.js";
import { KeptProcFile } from "./kept-proc-file.js";
import { readTextSync } from "./procfs.js";

/**
 * Parses /proc/net/dev. Interface names may contain spaces on the left and are
 * followed by a colon that may touch the first counter ("eth0:1234 …").
 */
export function parseNetDev(text: string): NetworkInterface[] {
  const interfaces: NetworkInterface[] = [];
  for (const line of text.split("\n")) {
    const colon = line.indexOf(":");
    if (colon < 0) continue; // the two header lines
    const name = line.slice(0, colon).trim();
    const fields = line.slice(colon + 1).trim().split(/\s+/);
    if (name === "" || fields.length < 9) continue;
    const received = Number(fields[0]);
    const transmitted = Number(fields[8]);
    if (!Number.isFinite(received) || !Number.isFinite(transmitted)) continue;
    interfaces.push({ name, received, transmitted });
  }
  return interfaces;
}

/** /proc/net/dev, read synchronously; no interfaces when it is missing. */
export function readNetworksSync(procRoot = "/proc"): NetworkInterface[] {
  const text = readTextSync(`${procRoot}/net/dev`);
  return text === null ? [] : parseNetDev(text);
}

/** The network collector: /proc/net/dev kept open between collections (kept-proc-file.ts); no interfaces when it is missing. */
export class NetworkCollector implements Collector<NetworkInterface[]> {
  readonly name = "network";
  private readonly file: KeptProcFile;

  constructor(procRoot = "/proc") {
    this.file = new KeptProcFile(`${procRoot}/net/dev`, procRoot);
  }

  async collect(): Promise<NetworkInterface[]> {
    const text = this.file.read();
    return text === null ? [] : parseNetDev(text);
  }

  close(): void {
    this.file.close();
  }
}
