/** Encoding and decoding of the process list protobuf (`proto/processes.proto`). */
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { ProcessListSchema, ProcessSchema } from "./gen/processes_pb.js";
import type { ProcessEntry, ProcessListReply } from "./shapes/index.js";

/** Encodes a process list. `process_count` is the number of rows. */
export function encodeProcessList(processes: readonly ProcessEntry[]): Uint8Array {
  const message = create(ProcessListSchema, {
    processCount: processes.length,
    processes: processes.map((p) =>
      create(ProcessSchema, {
        pid: p.pid,
        name: p.name,
        cpuUsage: p.cpu_usage,
        memBytes: BigInt(Math.max(0, Math.trunc(p.mem_bytes))),
      }),
    ),
  });
  return toBinary(ProcessListSchema, message);
}

/** Decodes a (gunzipped) process list. Throws on bytes that are not a valid ProcessList. */
export function decodeProcessList(bytes: Uint8Array): ProcessListReply {
  const message = fromBinary(ProcessListSchema, bytes);
  return {
    process_count: message.processCount,
    processes: message.processes.map((p) => ({
      pid: p.pid,
      name: p.name,
      cpu_usage: p.cpuUsage,
      mem_bytes: Number(p.memBytes),
    })),
  };
}
