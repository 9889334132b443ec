/** Error objects, protocol-2 error frames, the hello and the reply envelope. */
import { Type, type Static } from "@sinclair/typebox";
import { strict } from "./common.js";

const requestId = (description?: string) =>
  Type.Union([Type.Integer(), Type.String({ maxLength: 64 })], description === undefined ? {} : { description });
export const RequestIdShape = requestId();
export type RequestId = Static<typeof RequestIdShape>;

const errorFields = {
  error: Type.String({ minLength: 1, description: "What went wrong and what would be right." }),
  request: Type.Union([Type.String(), Type.Null()], { description: "What was asked: command word, JSON type, or the frame's start." }),
  pid: Type.Optional(Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], { description: "On process-details and journal errors." })),
};

/** The error object a request that cannot be served gets (protocol 1). */
export const ErrorReplyShape = strict(errorFields, { title: "Error object (protocol 1): the reply to a request that cannot be served" });
export type ErrorReply = Static<typeof ErrorReplyShape>;

/** Stable codes carried by protocol-2 error frames. */
export const ErrorCodeShape = Type.Union([
  Type.Literal("MALFORMED_REQUEST"),
  Type.Literal("UNKNOWN_REQUEST"),
  Type.Literal("INVALID_PID"),
  Type.Literal("NOT_FOUND"),
  Type.Literal("UNAVAILABLE"),
  Type.Literal("FORBIDDEN"),
  Type.Literal("PERMISSION_DENIED"),
  Type.Literal("INTERNAL"),
]);
export type ErrorCode = Static<typeof ErrorCodeShape>;

/** A protocol-2 error frame. */
export const ErrorFrameShape = strict(
  {
    type: Type.Literal("error"),
    code: ErrorCodeShape,
    ...errorFields,
    id: Type.Optional(requestId("The request's id, when it had one.")),
  },
  {
    title: "Error frame (protocol 2): errors on a connection that negotiated protocol 2",
    description: "A superset of the protocol-1 error object.",
  },
);
export type ErrorFrame = Static<typeof ErrorFrameShape>;

/** Reply to `{"type":"hello"}`, and the first frame pushed under the socktop.v2 subprotocol or `?socktop_hello=1`. */
export const HelloReplyShape = strict(
  {
    type: Type.Literal("hello"),
    agent: Type.Literal("socktop_agent"),
    agent_version: Type.String({ minLength: 1 }),
    protocol_version: Type.Integer({ minimum: 1 }),
    min_protocol_version: Type.Integer({ minimum: 1 }),
    capabilities: Type.Array(Type.String()),
  },
  {
    title:
      'Hello (protocol 2): reply to {"type":"hello"}, and the first frame pushed under the socktop.v2 subprotocol or ?socktop_hello=1',
  },
);
export type HelloReply = Static<typeof HelloReplyShape>;

/** The reply types that are enveloped (process lists never are). */
export const EnvelopedTypeShape = Type.Union([
  Type.Literal("metrics"),
  Type.Literal("disks"),
  Type.Literal("process_metrics"),
  Type.Literal("journal_entries"),
  Type.Literal("hello"),
  Type.Literal("load"),
  Type.Literal("disk_io"),
  Type.Literal("cgroups"),
  Type.Literal("signal"),
]);

/** A protocol-2 reply envelope, used when the request carried an `id`. */
export const ReplyEnvelopeShape = strict(
  { id: requestId(), type: EnvelopedTypeShape, data: Type.Unknown() },
  {
    title: "Reply envelope (protocol 2): the JSON reply to a request that carried an id",
    description:
      "data is the reply the request would otherwise get (metrics: metrics-v2.schema.json; disks: disks.schema.json; process_metrics: process-metrics.schema.json; journal_entries: journal.schema.json; hello: hello.schema.json). Process lists are never enveloped.",
  },
);
/** `data` is typed by the caller, who knows which request the envelope answers. */
export type ReplyEnvelope<T = unknown> = Omit<Static<typeof ReplyEnvelopeShape>, "data" | "type"> & { type: string; data: T };
