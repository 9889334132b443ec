/** Summarises a V8 .cpuprofile: self time by function, and inclusive time by function. */

function label(f) {
  const where = f.url ? `${f.url.replace(/^file:\/\//, "").replace(/^.*\/(packages|node_modules)\//, "$1/")}:${f.lineNumber + 1}` : "";
  return `${f.functionName || "(anonymous)"} ${where}`.trim();
}

export function summarizeProfile(profile, { top = 25 } = {}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const inclusive = new Map();
  let total = 0;
  const dt = profile.timeDeltas ?? [];
  for (let i = 0; i < profile.samples.length; i++) {
    const us = Math.max(0, dt[i] ?? 0);
    total += us;
    let node = byId.get(profile.samples[i]);
    const key = label(node.callFrame);
    self.set(key, (self.get(key) ?? 0) + us);
    const seen = new Set();
    for (let id = node.id; id !== undefined; id = parent.get(id)) {
      const k = label(byId.get(id).callFrame);
      if (seen.has(k)) continue;
      seen.add(k);
      inclusive.set(k, (inclusive.get(k) ?? 0) + us);
    }
  }
  const idle = (self.get("(idle)") ?? 0) + (self.get("(program)") ?? 0) * 0;
  const sort = (m) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    totalUs: total,
    busyUs: total - idle,
    self: sort(self).slice(0, top),
    inclusive: sort(inclusive).filter(([k]) => !k.startsWith("(root)")).slice(0, top),
  };
}

export function printProfile(summary, { perUnit = null, unitName = "" } = {}) {
  const lines = [];
  const busy = summary.busyUs;
  lines.push(`sampled ${(summary.totalUs / 1000).toFixed(0)} ms, busy (not idle) ${(busy / 1000).toFixed(0)} ms`);
  const fmt = ([k, us]) =>
    `  ${((us / busy) * 100).toFixed(1).padStart(5)} % of busy${perUnit ? `  ${(us / perUnit).toFixed(1).padStart(8)} µs/${unitName}` : ""}  ${k}`;
  lines.push("self time:");
  for (const e of summary.self) if (e[0] !== "(idle)") lines.push(fmt(e));
  lines.push("inclusive time:");
  for (const e of summary.inclusive) if (e[0] !== "(idle)") lines.push(fmt(e));
  return lines.join("\n");
}
