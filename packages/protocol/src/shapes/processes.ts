/** The process list, as decoded from its protobuf (`proto/processes.proto`), in the .proto's field names. */
import { Type, type Static } from "@sinclair/typebox";
import { strict } from "./common.js";

/** One row of the process list. `cpu_usage` is percent of the whole machine (0..100). */
export const ProcessEntryShape = strict({
  pid: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  cpu_usage: Type.Number({ minimum: 0, maximum: 100, description: "Percent of the whole machine." }),
  mem_bytes: Type.Integer({ minimum: 0, description: "Resident set size." }),
  // Protocol-2 rows only (proto fields 5-11), each absent when the agent could not read it.
  ppid: Type.Optional(Type.Integer({ minimum: 0, description: "Parent pid (0 for pid 1 and kthreadd). Protocol 2." })),
  uid: Type.Optional(Type.Integer({ minimum: 0, description: "Effective uid (owner of /proc/<pid>). Protocol 2." })),
  user: Type.Optional(Type.String({ description: "Name of uid in the agent's /etc/passwd. Protocol 2." })),
  state: Type.Optional(
    Type.String({ minLength: 1, maxLength: 1, description: "One-letter state: R, S, D, Z, T, t, I, X. Protocol 2." }),
  ),
  threads: Type.Optional(Type.Integer({ minimum: 0, description: "Protocol 2." })),
  start_time: Type.Optional(Type.Integer({ minimum: 0, description: "Unix seconds. Protocol 2." })),
  command: Type.Optional(
    Type.String({ maxLength: 256, description: "argv joined by spaces, cut to 256 characters; empty for kernel threads. Protocol 2." }),
  ),
});

export type ProcessEntry = Static<typeof ProcessEntryShape>;

/** The decoded protobuf process list. */
export const ProcessListReplyShape = strict(
  {
    process_count: Type.Integer({ minimum: 0 }),
    processes: Type.Array(ProcessEntryShape),
  },
  {
    title: 'Process list: reply to {"type":"processes"} and get_processes, decoded',
    description:
      "On the wire a binary protobuf ProcessList (packages/protocol/proto/processes.proto), gzip-compressed when longer than 768 bytes. This schema describes the decoded message with the .proto field names.",
  },
);
export type ProcessListReply = Static<typeof ProcessListReplyShape>;
