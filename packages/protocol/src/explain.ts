/**
 * Why a value is not of a reply shape, by TypeBox's schema walk. Loaded only
 * when a check fails (see validate.ts): the compiled checks say yes or no,
 * this says where.
 */
import { Errors } from "@sinclair/typebox/errors";
import type { TSchema } from "@sinclair/typebox";
import { REPLY_SHAPES, lenient, type ReplyShapeName } from "./shapes/index.js";
import type { CheckMode } from "./validate.js";

const lenientSchemas = new Map<ReplyShapeName, TSchema>();

function schemaOf(shape: ReplyShapeName, mode: CheckMode): TSchema {
  if (mode === "strict") return REPLY_SHAPES[shape];
  let schema = lenientSchemas.get(shape);
  if (schema === undefined) {
    schema = lenient(REPLY_SHAPES[shape]);
    lenientSchemas.set(shape, schema);
  }
  return schema;
}

export function explain(shape: ReplyShapeName, value: unknown, mode: CheckMode, max: number): Array<{ path: string; problem: string }> {
  const out: Array<{ path: string; problem: string }> = [];
  for (const error of Errors(schemaOf(shape, mode), value)) {
    out.push({ path: error.path, problem: error.message });
    if (out.length >= max) break;
  }
  // The compiled check and the walk agree by construction: never report a mismatch without a reason.
  if (out.length === 0) out.push({ path: "", problem: "does not match" });
  return out;
}
