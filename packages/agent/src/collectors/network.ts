/** Cumulative bytes per network interface from /proc/net/dev. */
import type { NetworkInterface } from "@socktop/protocol";
import type { Collector } from "./collector.js";
import { KeptProcFile } from "./kept-proc-file.js";
import { isBlank, readTextSync } from "./procfs.js";

/**
 * Parses /proc/net/dev. Interface names may contain spaces on the left and are
 * followed by a colon that may touch the first counter ("eth0:1234 …").
 * Walked in place, without splitting lines or fields: it runs twice a second
 * per watcher, and only fields 0 (received bytes) and 8 (transmitted) are used.
 */
export function parseNetDev(text: string): NetworkInterface[] {
  const interfaces: NetworkInterface[] = [];
  for (let start = 0; start < text.length; ) {
    let end = text.indexOf("\n", start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", start);
    // No colon on the line: one of the two header lines.
    if (colon >= 0 && colon < end) {
      const name = text.slice(start, colon).trim();
      let received = NaN;
      let transmitted = NaN;
      let fields = 0;
      for (let i = colon + 1; i < end; ) {
        while (i < end && isBlank(text.charCodeAt(i))) i++;
        if (i >= end) break;
        let j = i;
        while (j < end && !isBlank(text.charCodeAt(j))) j++;
        if (fields === 0) received = Number(text.slice(i, j));
        else if (fields === 8) transmitted = Number(text.slice(i, j));
        fields++;
        i = j;
      }
      if (name !== "" && fields >= 9 && Number.isFinite(received) && Number.isFinite(transmitted)) {
        interfaces.push({ name, received, transmitted });
      }
    }
    start = end + 1;
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

  collect(): NetworkInterface[] {
    const text = this.file.read();
    return text === null ? [] : parseNetDev(text);
  }

  close(): void {
    this.file.close();
  }
}
