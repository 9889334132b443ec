/** Writable fixture /proc trees for the process collector's tests: stat lines and machine clocks. */
import { after } from "node:test";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const FIXTURE = fileURLToPath(new URL("../fixtures/processes/proc", import.meta.url));

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A writable copy of the fixture /proc (or an empty one), removed after the test file. */
export function procTree(fromFixture = true): string {
  const dir = mkdtempSync(join(tmpdir(), "socktop-proc-"));
  temps.push(dir);
  if (fromFixture) cpSync(FIXTURE, dir, { recursive: true, verbatimSymlinks: true });
  return dir;
}

export interface StatFields {
  comm?: string;
  state?: string;
  ppid?: number;
  utime: number;
  stime?: number;
  threads?: number;
  starttime: number;
  rss?: number;
}

/** A /proc/<pid>/stat line as the kernel writes it, with the given fields. */
export function statLine(pid: number, f: StatFields): string {
  return (
    `${pid} (${f.comm ?? `proc${pid}`}) ${f.state ?? "S"} ${f.ppid ?? 1} ${pid} ${pid} 0 -1 4194560 1200 0 3 0 ` +
    `${f.utime} ${f.stime ?? 0} 0 0 20 0 ${f.threads ?? 1} 0 ${f.starttime} 108175360 ${f.rss ?? 100} ` +
    "18446744073709551615 1 1 0 0 0 0 671173123 4096 1260 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
  );
}

export function writeStat(root: string, pid: number, fields: StatFields): void {
  mkdirSync(join(root, String(pid)), { recursive: true });
  writeFileSync(join(root, String(pid), "stat"), statLine(pid, fields));
}

/** Sets the machine clocks: aggregate cpu jiffies and seconds since boot. */
export function setClock(root: string, totalJiffies: number, uptimeSeconds: number): void {
  writeFileSync(join(root, "stat"), `cpu  ${totalJiffies} 0 0 0 0 0 0 0 0 0\ncpu0 ${totalJiffies} 0 0 0 0 0 0 0 0 0\n`);
  writeFileSync(join(root, "uptime"), `${uptimeSeconds.toFixed(2)} 0.00\n`);
}
