/**
 * Checking a value against a reply shape with the generated validators
 * (src/gen/validators.ts): complete (every field, type and bound the shape
 * names) and cheap (plain compiled code, no schema walk, no eval). Only a
 * value that fails is walked again, by TypeBox, to say where: that code
 * (./explain.js) is loaded on first use, so a browser bundle can leave
 * TypeBox out of its main chunk.
 */
import { lenientChecks, strictChecks } from "./gen/validators.js";
import type { ReplyOf, ReplyShapeName } from "./shapes/index.js";

/**
 * `lenient` (the default) accepts fields the shape does not name, as a client must;
 * `strict` refuses them, as the tests of this agent's replies do.
 */
export type CheckMode = "strict" | "lenient";

/** A value that is not of the reply shape it should be. */
export class ShapeMismatchError extends Error {
  override readonly name = "ShapeMismatchError";
  constructor(
    readonly shape: ReplyShapeName,
    /** JSON Pointer of the first offending field ("" for the value itself). */
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path === "" ? "the value" : path}: ${problem}`);
  }
}

/** Synchronous: true when `value` is of the shape. A lenient check (the default) creates no function per call (scripts/gen-shapes.ts hoists them). */
export function isReply<K extends ReplyShapeName>(shape: K, value: unknown, mode: CheckMode = "lenient"): value is ReplyOf<K> {
  return (mode === "strict" ? strictChecks : lenientChecks)[shape](value);
}

/** Where and why `value` is not of the shape, e.g. `/process/threads/0/tid: Expected integer`; empty when it is. */
export async function replyErrors(shape: ReplyShapeName, value: unknown, mode: CheckMode = "lenient", max = 10): Promise<string[]> {
  if (isReply(shape, value, mode)) return [];
  const { explain } = await import("./explain.js");
  return explain(shape, value, mode, max).map((e) => `${e.path === "" ? "the value" : e.path}: ${e.problem}`);
}

/** Resolves to `value`, typed, when it is of the shape; rejects with a ShapeMismatchError naming the first offending field otherwise. */
export async function checkReply<K extends ReplyShapeName>(shape: K, value: unknown, mode: CheckMode = "lenient"): Promise<ReplyOf<K>> {
  if (isReply(shape, value, mode)) return value;
  const { explain } = await import("./explain.js");
  const [first] = explain(shape, value, mode, 1);
  throw new ShapeMismatchError(shape, first?.path ?? "", first?.problem ?? "does not match");
}
