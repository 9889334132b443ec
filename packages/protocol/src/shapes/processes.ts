/** The process list, as decoded from its protobuf (`proto/processes.proto`), in the .proto's field names. */
import { Type, type Static } from "@sinclair/typebox";
import { strict } from "./common.js";

/** One row of the process list. `cpu_usage` is percent of the whole machine (0..100). */
export const ProcessEntryShape = strict({
  pid: Type.Integer({ minimum: 1 }),
  name: Type.String(),
  cpu_usage: Type.Number({ minimum: 0, maximum: 100, description: "Percent of the whole machine." }),
  mem_bytes: Type.Integer({ minimum: 0, description: "Resident set size." }),
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
