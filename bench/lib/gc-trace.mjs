/**
 * V8's --trace-gc lines of a process, read as they come: which garbage
 * collections ran when, and how much heap was in use after each. The soak
 * suite starts its agent with --trace-gc (it only prints; collections run as
 * they would) to tell an RSS trend that is old space filling with promoted
 * objects between two full collections from one that is a leak: the heap
 * that survives a full collection is the live heap, and only a leak makes it
 * grow.
 *
 * A line looks like
 *   [22618:0x3aa0ee20]   105662 ms: Mark-Compact (reduce) 15.1 (25.5) -> 8.1 (10.5) MB, 8.28 / 0.03 ms  (…) …
 * (heap used (committed) before -> after, in MB, at that many ms since the isolate started).
 */
import { fmtNum } from "./util.mjs";

const GC_LINE = /\]\s+(\d+) ms: (Scavenge|Minor Mark-Compact|Mark-Compact|Mark-[sS]weep)( \(reduce\))?\s+([\d.]+) \(([\d.]+)\) -> ([\d.]+) \(([\d.]+)\) MB/;

/** One --trace-gc line → { atS, kind: "scavenge"|"full", reduce, usedBefore, usedAfter, committedAfter } (MB), or null. */
export function parseGcLine(line) {
  const m = GC_LINE.exec(line);
  if (m === null) return null;
  return {
    atS: Number(m[1]) / 1000,
    kind: m[2] === "Scavenge" || m[2] === "Minor Mark-Compact" ? "scavenge" : "full",
    reduce: m[3] !== undefined,
    usedBefore: Number(m[4]),
    usedAfter: Number(m[6]),
    committedAfter: Number(m[7]),
  };
}

/** Collects the collections a child process reports on stdout (started with --trace-gc). */
export function traceGc(child) {
  const events = [];
  let partial = "";
  child.stdout?.on("data", (chunk) => {
    const text = partial + chunk.toString();
    const lines = text.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      const event = parseGcLine(line);
      if (event !== null) events.push(event);
    }
  });
  return events;
}

/**
 * What the collections between fromS and toS (seconds since the isolate
 * started) say about the heap: the heap in use after each full collection
 * (the live heap), and after the last full one how the heap in use after
 * scavenges grew (objects promoted to old space that only a full collection
 * frees). Null when there were no scavenges in the window.
 */
export function gcSummary(events, fromS, toS) {
  const inWindow = events.filter((e) => e.atS >= fromS && e.atS <= toS);
  const scavenges = inWindow.filter((e) => e.kind === "scavenge");
  if (scavenges.length === 0) return null;
  const fulls = inWindow.filter((e) => e.kind === "full");
  const lastFull = fulls.length > 0 ? fulls[fulls.length - 1] : null;
  // Before the window's first full collection, the last one before it (start-up) is the reference.
  const reference = lastFull ?? [...events].reverse().find((e) => e.kind === "full" && e.atS < fromS) ?? null;
  const since = scavenges.filter((e) => reference === null || e.atS > reference.atS);
  const lastScavenge = scavenges[scavenges.length - 1];
  const fromAfter = reference?.usedAfter ?? since[0]?.usedAfter ?? NaN;
  const spanS = since.length > 0 ? lastScavenge.atS - (reference?.atS ?? since[0].atS) : NaN;
  return {
    scavenges: scavenges.length,
    meanScavengeIntervalS: scavenges.length > 1 ? (lastScavenge.atS - scavenges[0].atS) / (scavenges.length - 1) : NaN,
    fulls: fulls.map((e) => ({ atS: e.atS, reduce: e.reduce, usedAfter: e.usedAfter, committedAfter: e.committedAfter })),
    lastFullAtS: reference?.atS ?? null,
    usedAfterLastFull: fromAfter,
    usedAfterLastScavenge: lastScavenge.usedAfter,
    committedAtEnd: lastScavenge.committedAfter,
    // MB per minute of heap left in use after scavenges since the last full collection.
    promotedPerMinute: spanS > 0 ? ((lastScavenge.usedAfter - fromAfter) / spanS) * 60 : NaN,
  };
}

/** V8's collections during the steady window, as one line of the report (times in seconds of the soak). */
export function gcLine(gc, soakS) {
  const fulls = gc.fulls.length
    ? gc.fulls.map((f) => `${soakS(f.atS)}${f.reduce ? " (memory reducer)" : ""}: ${fmtNum(f.usedAfter, 1)} MB in use after, ${fmtNum(f.committedAfter, 1)} MB committed`).join("; ")
    : "none";
  return (
    `V8's collections after warm-up (the soak agent runs with \`--trace-gc\`, which only prints them): ${gc.scavenges} scavenges, one every ${fmtNum(gc.meanScavengeIntervalS, 1)} s; full collections: ${fulls}. ` +
    `Heap in use ${gc.lastFullAtS === null ? "after the first scavenge of the window" : `after the last full collection (${soakS(gc.lastFullAtS)})`} ${fmtNum(gc.usedAfterLastFull, 1)} MB, after the last scavenge ${fmtNum(gc.usedAfterLastScavenge, 1)} MB (${fmtNum(gc.committedAtEnd, 1)} MB committed).`
  );
}

/**
 * Why RSS rose, in V8's terms: the live heap is what survives a full
 * collection; between two of them old space keeps every object a scavenge
 * promoted, dead or not, until V8 starts the next one at its limit.
 */
export function gcExplanation(gc, soakS) {
  const live = gc.fulls.map((f) => fmtNum(f.usedAfter, 1));
  const liveText = gc.fulls.length >= 2 ? `the heap left after each full collection (the live heap) went ${live.join(" → ")} MB` : gc.fulls.length === 1 ? `one full collection ran (${live[0]} MB left in use)` : "no full collection ran in the window";
  return (
    `V8's own account (--trace-gc): ${liveText}; ` +
    `since ${gc.lastFullAtS === null ? "the window began" : `the last one (${soakS(gc.lastFullAtS)})`} the heap in use after scavenges went ${fmtNum(gc.usedAfterLastFull, 1)} → ${fmtNum(gc.usedAfterLastScavenge, 1)} MB (${fmtNum(gc.promotedPerMinute, 2)} MB/min): objects promoted to old space, which only the next full collection frees (V8 starts one when old space reaches its limit). ` +
    `A leak shows as a live heap that grows from one full collection to the next; a slope made of promotions falls back at the next full collection.`
  );
}
