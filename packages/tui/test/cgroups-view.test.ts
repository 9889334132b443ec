/**
 * The cgroups view (`s`): groups sorted by CPU or memory, containers by their
 * recognised names, drill-down into the process table (the group's subtree,
 * kept current while shown), Esc back to the groups, "unavailable" and an
 * original agent said in a sentence, polling only while needed. Also the
 * process table's sort by user (`U`).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import type { CgroupInfo, CgroupsReply } from "@socktop/protocol";
import { cgroupLabel, cgroupScope, CgroupsList, subtreeCounts } from "../src/cgroups-state.js";
import { CGROUPS_KEY_TABLE, KEY_TABLE } from "../src/keys.js";
import { helpLines } from "../src/render.js";
import { ProcessTable } from "../src/state.js";
import { FakeClient, processes } from "./helpers/fixtures.js";
import { harness } from "./helpers/app-harness.js";

const DOCKER_ID = "4f2a9c1d8e7b".padEnd(64, "0");
const POD_UID = "0b5c3d2e-1f4a-4b6c-8d9e-0a1b2c3d4e5f";

function group(path: string, kind: CgroupInfo["kind"], cpu: number | null, memMiB: number | null, pids: number[], extra: Partial<CgroupInfo> = {}): CgroupInfo {
  return {
    path,
    name: path.slice(path.lastIndexOf("/") + 1),
    kind,
    runtime: null,
    container_id: null,
    cpu_usage: cpu,
    cpu_usec: 1000,
    mem_bytes: memMiB === null ? null : memMiB * 1024 * 1024,
    mem_limit_bytes: null,
    pids,
    ...extra,
  };
}

/** Pids as in the fixtures' default process list: 1 systemd, 42 postgres, 314 node, 2718 bash, 9000 nginx. */
function groups(): CgroupInfo[] {
  return [
    group("/init.scope", "scope", 0.1, 12, [1]),
    group("/system.slice", "slice", 31, 420, []),
    group("/system.slice/nginx.service", "service", 20, 100, [9000]),
    group(`/system.slice/docker-${DOCKER_ID}.scope`, "container", 11, 300, [314], { runtime: "docker", container_id: DOCKER_ID.slice(0, 12) }),
    group("/user.slice", "slice", 5, 900, []),
    group("/user.slice/user-1000.slice", "user", 5, 900, [2718, 42]),
    group(`/kubepods.slice/kubepods-burstable-pod${POD_UID.replace(/-/g, "_")}.slice`, "pod", null, null, [], { container_id: POD_UID }),
  ];
}

const reply = (list = groups()): CgroupsReply => ({ available: true, hierarchy: "unified", groups: list, truncated: false, cached_at: 1_700_000_000 });

class CgroupClient extends FakeClient {
  asked = 0;
  cgroupsReply: () => Promise<CgroupsReply> = async () => reply();
  constructor(capable = true) {
    super();
    this.info = { ...this.info, capabilities: [...this.info.capabilities, ...(capable ? ["cgroups"] : [])] };
  }
  cgroups(): Promise<CgroupsReply> {
    this.asked++;
    return this.cgroupsReply();
  }
}

const lines = (text: string): string[] => text.split("\n");
const rowWith = (text: string, needle: string): string => lines(text).find((l) => l.includes(needle)) ?? "";
const indexOfRow = (text: string, needle: string): number => lines(text).findIndex((l) => l.includes(needle));

test("labels: containers and pods by runtime and short id, units by name; subtree counts and scopes", () => {
  const g = groups();
  assert.equal(cgroupLabel(g[3]!), `docker ${DOCKER_ID.slice(0, 12)}`);
  assert.equal(cgroupLabel(g[6]!), `pod ${POD_UID}`);
  assert.equal(cgroupLabel(g[2]!), "nginx.service");
  assert.equal(cgroupLabel(group("/machine.slice/libpod-conmon-x.scope", "scope", 0, 0, [], { runtime: "podman", container_id: "aabbccddeeff" })), "podman conmon aabbccddeeff");
  const counts = subtreeCounts(g);
  assert.equal(counts.get("/system.slice"), 2);
  assert.equal(counts.get("/user.slice"), 2);
  assert.equal(counts.get("/init.scope"), 1);
  const scope = cgroupScope(g, "/system.slice")!;
  assert.equal(scope.label, "system.slice");
  assert.deepEqual([...scope.pids].sort((a, b) => a - b), [314, 9000]);
  // "/system.slice" must not take in a sibling that merely starts with the same letters.
  assert.deepEqual([...cgroupScope([...g, group("/system.slice2", "slice", 1, 1, [77])], "/system.slice")!.pids].sort((a, b) => a - b), [314, 9000]);
  assert.equal(cgroupScope(g, "/gone"), null);
});

test("the list sorts by CPU (groups without a reading last), by memory, reversed; the selection follows its group", () => {
  const list = new CgroupsList();
  list.setReply(reply());
  assert.deepEqual(list.rows().map((g) => g.name).slice(0, 3), ["system.slice", "nginx.service", `docker-${DOCKER_ID}.scope`]);
  assert.equal(list.rows().at(-1)!.kind, "pod", "no CPU reading yet: at the bottom");
  list.move(1); // the first step selects the top row
  list.move(1);
  assert.equal(list.selected()!.name, "nginx.service");
  list.sortBy("mem");
  assert.deepEqual(list.rows().map((g) => g.name).slice(0, 2), ["user.slice", "user-1000.slice"]);
  assert.equal(list.selected()!.name, "nginx.service", "selection kept by path");
  list.reverse();
  assert.equal(list.rows()[0]!.kind, "pod");
  list.sortBy("mem");
  assert.equal(list.descending, true);
  // A new reading: the group moves, the selection stays on it.
  const next = groups();
  next[2] = { ...next[2]!, mem_bytes: 2000 * 1024 * 1024 };
  list.setReply(reply(next));
  assert.equal(list.selectedIndex(), 0);
});

test("s opens the view at 80×24: groups by CPU, recognised names, figures; M sorts by memory; the help lists s and U", async () => {
  const client = new CgroupClient();
  const h = await harness({ client });
  h.term.key("s");
  await h.clock.advance(0);
  const text = h.render();
  assert.equal(client.asked, 1);
  assert.match(text, /─ Control groups 7 ─/);
  assert.match(text, /sort CPU% ▼/);
  assert.match(rowWith(text, "NAME"), /NAME +KIND +▼CPU% +MEM +PROCS PARENT/);
  const top = indexOfRow(text, "system.slice ");
  assert.ok(top > 0 && top < indexOfRow(text, "nginx.service") && indexOfRow(text, "nginx.service") < indexOfRow(text, `docker ${DOCKER_ID.slice(0, 12)}`));
  assert.match(rowWith(text, "nginx.service"), /nginx\.service +service +20\.0% +100M +1 \/system\.slice$/);
  assert.match(rowWith(text, "docker 4f2a9c1d8e7b"), /container +11\.0% +300M +1 \/system\.slice$/);
  assert.match(rowWith(text, "init.scope"), /0\.1% +12M +1 \/$/);
  assert.match(text, /Enter its processes/);
  assert.ok(lines(text).every((l) => [...l].length <= 80));
  h.term.key("M");
  const byMem = h.render();
  assert.match(byMem, /sort MEM ▼/);
  assert.ok(indexOfRow(byMem, "user.slice ") < indexOfRow(byMem, "system.slice "));
  assert.ok(KEY_TABLE.some((k) => k.keys === "s" && /cgroups/.test(k.action) && /Enter/.test(k.action)));
  assert.ok(KEY_TABLE.some((k) => k.keys.endsWith(" U") && /user/.test(k.action)));
  await h.app.stop();
});

test("h in the cgroups view opens the help (its own keys listed) over it, Esc returns to the groups; a opens about", async () => {
  const client = new CgroupClient();
  const h = await harness({ client });
  h.term.key("s");
  await h.clock.advance(0);
  assert.match(h.render(), /h help/);
  for (const key of ["h", "H", "?"]) {
    h.term.key(key);
    const text = h.render();
    assert.equal(h.app.state.modal?.kind, "help", key);
    assert.match(text, /─ Keys ─/);
    h.term.key("ESCAPE");
    assert.equal(h.app.state.modal, null);
    assert.match(h.render(), /Control groups/, "Esc closes the help, not the view");
  }
  // The help scrolls to the cgroups section, which lists this view's keys.
  const help = helpLines().map((l) => `${l.keys} ${l.action}`).join("\n");
  for (const k of CGROUPS_KEY_TABLE) assert.ok(help.includes(k.action), k.action);
  assert.match(help, /Cgroups \(s in the host view\)/);
  h.term.key("a");
  assert.equal(h.app.state.modal?.kind, "about");
  assert.match(h.render(), /Control groups/);
  h.term.key("q");
  assert.equal(h.app.state.modal, null);
  assert.match(h.render(), /Control groups/, "q closes the about box first");
  const before = h.app.cgroups.list.selectedIndex();
  h.term.key("j");
  assert.equal(h.app.cgroups.list.selectedIndex(), before + 1, "keys reach the view again");
  await h.app.stop();
});

test("Enter drills into a group's processes (its subtree), kept current; Esc returns to the group, Esc again to all processes", async () => {
  const client = new CgroupClient();
  const h = await harness({ client });
  h.term.key("s");
  await h.clock.advance(0);
  h.term.key("j"); // system.slice, the top row
  h.term.key("ENTER");
  let text = h.render();
  assert.ok(!text.includes("Control groups"), "back in the main view");
  assert.match(text, /Processes 2\/5/);
  assert.match(text, /Processes 2\/5 ─+ in system\.slice ─/);
  assert.match(text, /cgroup system\.slice Esc back/);
  assert.ok(text.includes(" node ") && text.includes(" nginx "));
  assert.ok(!text.includes(" postgres ") && !text.includes(" bash "));
  assert.equal(h.app.state.table.selected()?.name, "node", "the busiest process of the group is selected");

  // The group gains a process: the next reading (and process list) shows it.
  const next = groups();
  next[2] = { ...next[2]!, pids: [9000, 42] };
  client.cgroupsReply = async () => reply(next);
  await h.clock.advance(2000);
  text = h.render();
  assert.match(text, /Processes 3\/5/);
  assert.ok(text.includes(" postgres "));

  h.term.key("ESCAPE");
  await h.clock.advance(0);
  text = h.render();
  assert.match(text, /Control groups/);
  assert.equal(h.app.cgroups.list.selected()?.name, "system.slice", "back on the group drilled into");
  assert.equal(h.app.state.table.scope, null);
  h.term.key("ESCAPE");
  text = h.render();
  assert.match(text, /Processes 5 /);
  assert.equal(h.quits, 0);
  assert.equal(h.app.cgroups.polling, false, "no polling once neither the view nor a group's processes are shown");
  const asked = client.asked;
  await h.clock.advance(10_000);
  assert.equal(client.asked, asked);
  await h.app.stop();
});

test("unavailable (cgroup v1, portable backend): the reason in a sentence; an original agent is never asked", async () => {
  const client = new CgroupClient();
  client.cgroupsReply = async () => ({ available: false, reason: "this machine has cgroup v1 only", groups: [], cached_at: 1 });
  const h = await harness({ client });
  h.term.key("s");
  await h.clock.advance(0);
  let text = h.render();
  assert.match(text, /Control groups are unavailable on this machine: this machine has cgroup v1\s+only/);
  assert.ok(!text.includes("PROCS"), "no empty table");
  h.term.key("ENTER");
  assert.match(h.render(), /Control groups are unavailable/, "nothing to drill into");
  await h.app.stop();

  const old = new CgroupClient(false);
  const h2 = await harness({ client: old });
  h2.term.key("s");
  await h2.clock.advance(0);
  text = h2.render();
  assert.match(text, /does not report control groups/);
  assert.equal(old.asked, 0);
  h2.term.key("q");
  assert.equal(h2.quits, 0, "q closes the view, it does not quit");
  assert.match(h2.render(), /Processes 5/);
  await h2.app.stop();
});

test("a failed request is shown, and the next reading replaces it", async () => {
  const client = new CgroupClient();
  client.cgroupsReply = () => Promise.reject(Object.assign(new Error("request timed out after 10000 ms"), { code: "AGENT_ERROR" }));
  const h = await harness({ client });
  h.term.key("s");
  await h.clock.advance(0);
  assert.match(h.render(), /could not list its control groups: request timed out/);
  client.cgroupsReply = async () => reply();
  await h.clock.advance(2000);
  assert.match(h.render(), /nginx\.service/);
  await h.app.stop();
});

test("U sorts by user (header arrow on USER); < > skip USER when the agent sends no users", async () => {
  const rich = processes([
    { pid: 10, name: "a", cpu_usage: 1, mem_bytes: 1, user: "www-data", uid: 33 },
    { pid: 11, name: "b", cpu_usage: 2, mem_bytes: 1, user: "alice", uid: 1000 },
    { pid: 12, name: "c", cpu_usage: 3, mem_bytes: 1, uid: 4242 },
    { pid: 13, name: "d", cpu_usage: 4, mem_bytes: 1, user: "alice", uid: 1000 },
  ]);
  const client = new CgroupClient();
  client.processesReply = async () => rich;
  const h = await harness({ client, w: 120 });
  h.term.key("U");
  const text = h.render();
  assert.match(text, /USER▲/);
  assert.deepEqual(h.app.state.table.rows().map((p) => p.pid), [11, 13, 10, 12], "by name, ties by pid, a bare uid last");
  h.term.key("U");
  assert.deepEqual(h.app.state.table.rows().map((p) => p.pid), [12, 10, 11, 13]);
  await h.app.stop();

  const table = new ProcessTable();
  table.setProcesses(processes().processes);
  table.sortKey = "name";
  table.cycleSort(1);
  assert.equal(table.sortKey, "cpu", "no USER column: name → CPU%");
  table.setProcesses(rich.processes);
  table.sortKey = "name";
  table.cycleSort(1);
  assert.equal(table.sortKey, "user");
});
