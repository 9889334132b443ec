/**
 * Protocol-2 rows in the process table: the tree view, the user:NAME filter,
 * and the USER/S columns that only an agent sending them brings on screen.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { ProcessEntry } from "@socktop/protocol";
import { KEY_TABLE } from "../src/keys.js";
import { tableColumns } from "../src/layout.js";
import { MAX_INDENT, matchesProcessFilter, parseProcessFilter, stateName, treeView } from "../src/process-tree.js";
import { ProcessTable } from "../src/state.js";
import { processes, proc } from "./helpers/fixtures.js";
import { connectedState, drawFrame } from "./helpers/render.js";

function row(pid: number, ppid: number, name: string, cpu: number, user = "root", state = "S"): ProcessEntry {
  return { ...proc(pid, name, cpu, 10), ppid, uid: user === "root" ? 0 : 1000, user, state, threads: 1, start_time: 1_700_000_000, command: name };
}

const ROWS: ProcessEntry[] = [
  row(1, 0, "systemd", 0.1),
  row(500, 1, "sshd", 0.2),
  row(600, 500, "sshd-session", 0.3, "alice"),
  row(601, 600, "bash", 0.4, "alice"),
  row(700, 601, "make", 40, "alice", "R"),
  row(702, 601, "vim", 1, "alice"),
  row(800, 1, "postgres", 12, "postgres"),
  row(900, 4242, "orphan", 5, "bob", "Z"),
];

test("tree: children under their parent, siblings in sort order, branch glyphs", () => {
  const t = new ProcessTable();
  t.setProcesses(ROWS);
  t.toggleTree();
  assert.ok(t.treeShown);
  // Sorted by CPU descending: among systemd's children postgres (12) before sshd (0.2); make (40) before vim.
  assert.deepEqual(
    t.rows().map((p) => p.name),
    ["orphan", "systemd", "postgres", "sshd", "sshd-session", "bash", "make", "vim"],
  );
  const prefix = (name: string): string => t.treePrefix.get(ROWS.find((p) => p.name === name)!.pid) ?? "";
  assert.equal(prefix("systemd"), "");
  assert.equal(prefix("orphan"), "", "a row whose parent is not in the list is a root");
  assert.equal(prefix("postgres"), "├─ ");
  assert.equal(prefix("sshd"), "└─ ");
  assert.equal(prefix("sshd-session"), "   └─ ");
  assert.equal(prefix("bash"), "      └─ ");
  assert.equal(prefix("make"), "         ├─ ");
  assert.equal(prefix("vim"), "         └─ ");
  t.toggleTree();
  assert.ok(!t.treeShown);
  assert.equal(t.rows()[0]!.name, "make", "flat again: biggest CPU first");
});

test("tree: rows without parent pids (an original agent) stay flat; a parent cycle loses no row", () => {
  const t = new ProcessTable();
  t.setProcesses(processes().processes);
  t.toggleTree();
  assert.ok(t.tree && !t.treeShown);
  assert.equal(t.rows().length, 5);
  const cyc = treeView([row(10, 11, "a", 1), row(11, 10, "b", 0)]);
  assert.deepEqual(cyc.rows.map((p) => p.pid).sort(), [10, 11]);
});

test("tree: a 5 000-deep fork chain does not overflow the stack", () => {
  const chain = Array.from({ length: 5_000 }, (_, i) => row(i + 2, i + 1, `p${i}`, 0));
  const t = treeView(chain);
  assert.equal(t.rows.length, 5_000);
  assert.equal(t.rows[4_999]!.name, "p4999");
  assert.equal(t.prefix.get(5_001), " ".repeat(3 * MAX_INDENT) + "└─ ", "the indent stops growing");
});

test("filter user:NAME keeps one user's processes; combines with a name; works in the tree", () => {
  assert.deepEqual(parseProcessFilter("  user:alice  ma "), { user: "alice", text: "ma" });
  assert.deepEqual(parseProcessFilter("u:bob"), { user: "bob", text: "" });
  assert.ok(matchesProcessFilter(ROWS[4]!, "user:alice"));
  assert.ok(!matchesProcessFilter(ROWS[1]!, "user:alice"));
  assert.ok(!matchesProcessFilter(ROWS[1]!, "user:ali"), "the user name is matched exactly");
  assert.ok(matchesProcessFilter(ROWS[1]!, "user:"), "while typing the name, nothing is hidden");
  assert.ok(!matchesProcessFilter(proc(1, "x", 0, 0), "user:root"), "rows without a user never match a user term");
  const t = new ProcessTable();
  t.setProcesses(ROWS);
  t.setFilter("user:alice");
  assert.deepEqual(t.rows().map((p) => p.name), ["make", "vim", "bash", "sshd-session"]);
  t.setFilter("user:alice v");
  assert.deepEqual(t.rows().map((p) => p.name), ["vim"]);
  t.setFilter("user:alice");
  t.toggleTree();
  assert.deepEqual(t.rows().map((p) => p.name), ["sshd-session", "bash", "make", "vim"]);
});

test("columns: USER and S only for rows that carry them, and only with room", () => {
  assert.deepEqual(tableColumns(0, 60).map((c) => c.label), ["PID", "NAME", "CPU%", "MEM", "MEM%"]);
  assert.deepEqual(tableColumns(0, 60, true).map((c) => c.label), ["PID", "NAME", "USER", "S", "CPU%", "MEM", "MEM%"]);
  assert.deepEqual(tableColumns(0, 44, true).map((c) => c.label), ["PID", "NAME", "CPU%", "MEM", "MEM%"], "too narrow: the name keeps its room");
  assert.equal(stateName("Z"), "zombie");
});

function draw(rows: ProcessEntry[], tree: boolean): string {
  const s = connectedState(Date.now(), { process_count: rows.length, processes: rows });
  if (tree) s.table.toggleTree();
  return drawFrame(s, 120, 40).text();
}

test("render: USER and S columns with protocol-2 rows, tree glyphs before the name, none for an original agent", () => {
  const text = draw(ROWS, true);
  assert.match(text, /PID NAME +USER +S +▼CPU%/);
  assert.match(text, /tree · sort CPU/);
  assert.match(text, /700 +├─ make +alice +R +40\.0%/);
  assert.match(text, /900 orphan +bob +Z /);
  const flat = draw(processes().processes, true);
  assert.match(flat, /PID NAME/);
  assert.doesNotMatch(flat, /USER|tree ·/);
});

test("help lists T and the user: filter", () => {
  assert.ok(KEY_TABLE.some((k) => k.keys === "r · t · T" && /signal.*tree/.test(k.action)));
  assert.ok(KEY_TABLE.some((k) => k.keys === "/" && /user:NAME/.test(k.action)));
});
