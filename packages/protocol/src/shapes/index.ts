/**
 * Every reply shape, defined once (TypeBox): the TypeScript types are
 * `Static<>` of these, the JSON Schemas in packages/protocol/schemas and the
 * validators in src/gen/validators.ts are generated from them by
 * `npm run gen:shapes`. See docs/protocol.md, "Adding a reply shape".
 */
import type { Static, TSchema } from "@sinclair/typebox";
import { DisksReplyShape, LegacyMetricsReplyShape, MetricsShape, SeedMetricsReplyShape } from "./metrics.js";
import { ProcessListReplyShape } from "./processes.js";
import { JournalReplyShape, ProcessMetricsReplyShape } from "./details.js";
import { ErrorFrameShape, ErrorReplyShape, HelloReplyShape, ReplyEnvelopeShape } from "./frames.js";
import { CgroupsReplyShape, DiskIoReplyShape, LoadReplyShape, SignalReplyShape } from "./system.js";

export * from "./metrics.js";
export * from "./processes.js";
export * from "./details.js";
export * from "./frames.js";
export * from "./system.js";

/**
 * The reply shapes that get a JSON Schema file (`<name>.schema.json`) and a
 * validator. The name is the schema file's name and the validator's key.
 */
export const REPLY_SHAPES = {
  metrics: SeedMetricsReplyShape,
  "metrics-v2": MetricsShape,
  "legacy-metrics": LegacyMetricsReplyShape,
  disks: DisksReplyShape,
  processes: ProcessListReplyShape,
  "process-metrics": ProcessMetricsReplyShape,
  journal: JournalReplyShape,
  hello: HelloReplyShape,
  error: ErrorReplyShape,
  "error-frame": ErrorFrameShape,
  envelope: ReplyEnvelopeShape,
  load: LoadReplyShape,
  "disk-io": DiskIoReplyShape,
  cgroups: CgroupsReplyShape,
  signal: SignalReplyShape,
} as const satisfies Record<string, TSchema>;

export type ReplyShapeName = keyof typeof REPLY_SHAPES;
/** The TypeScript type of each named reply shape. */
export type ReplyOf<K extends ReplyShapeName> = Static<(typeof REPLY_SHAPES)[K]>;

/**
 * The same schema with unknown fields allowed everywhere: what a client
 * accepts, since within a protocol version replies may gain fields.
 */
export function lenient<T extends TSchema>(schema: T): T {
  return relax(schema) as T;
}

function relax(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(relax);
  if (typeof node !== "object" || node === null) return node;
  const out: Record<string | symbol, unknown> = {};
  // Reflect.ownKeys keeps TypeBox's symbol-keyed kind markers.
  for (const key of Reflect.ownKeys(node)) {
    const value = (node as Record<string | symbol, unknown>)[key];
    if (key === "additionalProperties" && value === false) continue;
    out[key] = relax(value);
  }
  return out;
}
