/**
 * Suite 12 — protocol-2 process rows (issue 15): the process scan with the
 * rows' extra fields (ppid, uid, user, state, threads, start time, command)
 * against the scan just before they came, and the size of one process-list
 * reply in both encodings. bench/process-rows.mjs does the measuring (scans
 * alternate between the two collectors, so a busy machine slows both alike);
 * this suite runs it at the machine's own process count and with ~1000 extra
 * sleeping processes. Budget: the scan may cost at most 15 % more.
 */
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fmtRatio } from "../lib/util.mjs";
import { startSleepers, stopSleepers } from "./scan.mjs";

export const title = "12. Protocol-2 process rows: scan cost and reply size";
/** After/before scan CPU (median), at most. */
export const ROWS_BUDGET = 1.15;

function measure(ctx, scans) {
  const r = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=source", join(ctx.benchDir, "process-rows.mjs"), "--json", "--scans", String(scans)],
    { cwd: ctx.root, encoding: "utf8", maxBuffer: 16 * 1024 * 1024, timeout: 600_000 },
  );
  if (r.status !== 0) throw new Error(`process-rows.mjs failed (${r.status ?? r.signal}): ${(r.stderr || "").slice(-2000)}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

export async function run(ctx) {
  const scans = ctx.quick ? 300 : 2000;
  const own = measure(ctx, scans);
  const sleepers = await startSleepers(ctx.quick ? 500 : 1000);
  let many;
  try {
    many = measure(ctx, ctx.quick ? 100 : 600);
  } finally {
    await stopSleepers(sleepers);
  }
  const ratio = (m) => m.scanUsAfter.median / m.scanUsBefore.median;
  const worst = Math.max(ratio(own), ratio(many));
  const met = worst <= ROWS_BUDGET;
  const row = (m) =>
    `| ${m.processes} | ${m.scanUsBefore.median.toFixed(0)} µs | ${m.scanUsAfter.median.toFixed(0)} µs | ${fmtRatio(ratio(m))} | ${m.reply.basic.raw} / ${m.reply.basic.gzip} B | ${m.reply.rich.raw} / ${m.reply.rich.gzip} B |`;
  const markdown = [
    `The scan before the rows (\`${own.base}\`, extracted with git) and the current one, alternating scan by scan (${scans} and ${ctx.quick ? 100 : 600} each); CPU time per scan, median. Replies: one process list as protocol 1 (basic rows, what original clients get) and protocol 2 (rich rows), raw / gzip level 1.`,
    "",
    "| processes | scan before | scan after | after / before | reply protocol 1 | reply protocol 2 |",
    "|---:|---:|---:|---:|---:|---:|",
    row(own),
    row(many),
  ].join("\n");
  const targets = [
    {
      name: `Protocol-2 rows: the scan costs at most ${Math.round((ROWS_BUDGET - 1) * 100)} % more`,
      figure: `${fmtRatio(ratio(own))} at ${own.processes} processes, ${fmtRatio(ratio(many))} at ${many.processes}`,
      met,
      why: met
        ? null
        : `the rows add a fixed cost per process (parsing ppid, state, threads and flags from the same stat line, a validity check of the kept uid/command, and a bigger row object) to a scan that the kept descriptors made cheap: ${((many.scanUsAfter.median - many.scanUsBefore.median) / many.processes).toFixed(2)} µs more per process at ${many.processes} processes over ${(many.scanUsBefore.median / many.processes).toFixed(2)} µs before.`,
    },
  ];
  return { id: "rows", title, markdown, targets, data: { own, many } };
}
