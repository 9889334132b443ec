/**
 * Protocol-2 replies about the machine beyond fast metrics: load average and
 * uptime, disk I/O rates, per-cgroup CPU and memory, and the result of a signal.
 */
import { Type, type Static } from "@sinclair/typebox";
import { strict } from "./common.js";

const Count = (description?: string) => Type.Integer({ minimum: 0, ...(description === undefined ? {} : { description }) });
const Rate = () => Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

/** Reply to `{"type":"load"}` (`get_load`). */
export const LoadReplyShape = strict(
  {
    load_1: Type.Number({ minimum: 0 }),
    load_5: Type.Number({ minimum: 0 }),
    load_15: Type.Number({ minimum: 0 }),
    runnable: Count("Runnable threads right now."),
    tasks: Count("Threads in existence."),
    uptime_seconds: Count("Seconds since boot."),
    boot_time: Count("Unix seconds."),
  },
  { title: 'Load average and uptime: reply to {"type":"load"} and get_load' },
);
export type LoadReply = Static<typeof LoadReplyShape>;

/** One block device in a `{"type":"disk_io"}` reply. Rates are null without an earlier reading. */
export const DiskIoEntryShape = strict({
  name: Type.String({ minLength: 1 }),
  is_partition: Type.Boolean(),
  read_bytes_per_sec: Rate(),
  write_bytes_per_sec: Rate(),
  reads_per_sec: Rate(),
  writes_per_sec: Rate(),
  busy_percent: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()]),
  read_bytes: Count("Cumulative since boot."),
  write_bytes: Count(),
  reads: Count(),
  writes: Count(),
});
export type DiskIoEntry = Static<typeof DiskIoEntryShape>;

export const DiskIoReplyShape = Type.Array(DiskIoEntryShape, {
  title: 'Disk I/O: reply to {"type":"disk_io"} and get_disk_io',
  description:
    "Whole disks, each followed by its partitions. Rates are per second since the previous reading (null when there is none); totals are cumulative since boot.",
});
export type DiskIoReply = Static<typeof DiskIoReplyShape>;

export type CgroupKind = "slice" | "service" | "scope" | "session" | "user" | "container" | "pod" | "group";
export type ContainerRuntime = "docker" | "podman" | "containerd" | "cri-o";

/** One control group in a `{"type":"cgroups"}` reply. */
export const CgroupInfoShape = strict({
  path: Type.String({ minLength: 2, description: 'Relative to the cgroup v2 root, e.g. "/system.slice/nginx.service".' }),
  name: Type.String({ minLength: 1 }),
  kind: Type.Union([
    Type.Literal("slice"),
    Type.Literal("service"),
    Type.Literal("scope"),
    Type.Literal("session"),
    Type.Literal("user"),
    Type.Literal("container"),
    Type.Literal("pod"),
    Type.Literal("group"),
  ]),
  runtime: Type.Union([Type.Literal("docker"), Type.Literal("podman"), Type.Literal("containerd"), Type.Literal("cri-o"), Type.Null()]),
  container_id: Type.Union([Type.String(), Type.Null()], { description: "Short container id (12 hex digits), or the pod uid for pods." }),
  cpu_usage: Type.Union([Type.Number({ minimum: 0, maximum: 100 }), Type.Null()], {
    description: "Percent of the whole machine since the previous reading, the group and its descendants.",
  }),
  cpu_usec: Count("Cumulative CPU time of the group and its descendants, microseconds."),
  mem_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "memory.current; null without the memory controller." }),
  mem_limit_bytes: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "memory.max; null when unlimited or unknown." }),
  pids: Type.Array(Type.Integer({ minimum: 1 }), { description: "The group's own processes (descendant groups list theirs)." }),
});
export type CgroupInfo = Static<typeof CgroupInfoShape>;

/** Reply to `{"type":"cgroups"}` (`get_cgroups`): the groups, or why there are none. */
export const CgroupsReplyShape = Type.Union(
  [
    strict({
      available: Type.Literal(true),
      hierarchy: Type.Union([Type.Literal("unified"), Type.Literal("hybrid")], {
        description: "unified: cgroup v2 only; hybrid: the v2 tree beside v1 controllers (no memory figures).",
      }),
      groups: Type.Array(CgroupInfoShape),
      truncated: Type.Boolean({ description: "True when groups were left out (more than the agent reports)." }),
      cached_at: Count(),
    }),
    strict({
      available: Type.Literal(false),
      reason: Type.String({ minLength: 1, description: "Why: cgroup v1 only, or no cgroup file system." }),
      groups: Type.Array(CgroupInfoShape, { maxItems: 0 }),
      cached_at: Count(),
    }),
  ],
  { title: 'Control groups: reply to {"type":"cgroups"} and get_cgroups' },
);
export type CgroupsReply = Static<typeof CgroupsReplyShape>;

/** Reply to `{"type":"signal","pid":N,"signal":"TERM"}` when the signal was sent. */
export const SignalReplyShape = strict(
  {
    pid: Type.Integer({ minimum: 2 }),
    name: Type.String({ description: "The process's name (comm) when the signal was sent." }),
    signal: Type.Union([
      Type.Literal("TERM"),
      Type.Literal("INT"),
      Type.Literal("HUP"),
      Type.Literal("KILL"),
      Type.Literal("STOP"),
      Type.Literal("CONT"),
    ]),
    result: Type.Literal("sent"),
  },
  {
    title: 'Signal sent: reply to {"type":"signal","pid":N,"signal":"TERM"}',
    description: "Only from an agent started with --allow-signals; refusals are error objects (codes FORBIDDEN, PERMISSION_DENIED, NOT_FOUND).",
  },
);
export type SignalReply = Static<typeof SignalReplyShape>;
export type SignalName = SignalReply["signal"];
