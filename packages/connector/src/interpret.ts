/**
 * A reply checked against the request it answers: the agent's error object
 * (with an id that must be the request's), the protocol-2 envelope (id and
 * type), JSON where JSON is due, then the reply's shape. A mismatch means the
 * replies are out of step, which the connection answers with a new link.
 */
import { ProtocolError, DecodeError, SocktopError, describe } from "./errors.js";
import type { HelloReply } from "@socktop/protocol";
import { agentErrorOf, checkHello, envelopeOf, shaped, type Payload } from "./decode.js";
import type { Pending } from "./link.js";

/** What a reply is checked against. */
export type Expected = Pick<Pending, "what" | "kind" | "id">;

/** Any error as the connector's own: a SocktopError as it is, anything else as a DecodeError of the reply. */
export function asSocktopError(error: unknown, what: string): SocktopError {
  if (error instanceof SocktopError) return error;
  return new DecodeError(`Could not read the agent's reply to ${what}: ${describe(error)}`, { cause: error });
}

/** The data of a protocol-2 envelope, once its id and type are those of the request. */
export function unwrap(entry: Expected, value: unknown): unknown {
  const envelope = envelopeOf(value);
  if (envelope === null) {
    throw new ProtocolError(`The agent's reply to ${entry.what} is not the protocol-2 envelope {"id":${JSON.stringify(entry.id)},"type":…,"data":…} it should be.`);
  }
  if (envelope.id !== entry.id) {
    throw new ProtocolError(
      `The agent's reply carries id ${JSON.stringify(envelope.id)} where ${JSON.stringify(entry.id)} (${entry.what}) was due: replies are out of step, so the connection is reset.`,
    );
  }
  if (envelope.type !== entry.kind) {
    throw new ProtocolError(`The agent answered ${entry.what} (id ${JSON.stringify(entry.id)}) with a "${envelope.type}" reply.`);
  }
  return envelope.data;
}

/** A JSON reply: the agent's error thrown as an AgentError, else the value (unwrapped when ids are used) checked by `normalise`. */
export function interpretJson<T>(entry: Expected, payload: Payload, normalise: (value: unknown) => Promise<T>, hint: string): Promise<T> {
  if (payload.kind !== "json") {
    throw new ProtocolError(`The agent answered ${entry.what} with binary data that is not JSON (a process list?): replies are out of step, so the connection is reset.${hint}`);
  }
  const agentError = agentErrorOf(payload.value, entry.what);
  if (agentError !== null) {
    const errorId = (payload.value as { id?: unknown }).id;
    if (entry.id !== undefined && errorId !== undefined && errorId !== entry.id) {
      throw new ProtocolError(
        `The agent's error reply carries id ${JSON.stringify(errorId)} where ${JSON.stringify(entry.id)} (${entry.what}) was due: replies are out of step.`,
        { cause: agentError },
      );
    }
    throw agentError;
  }
  const value = entry.id === undefined ? payload.value : unwrap(entry, payload.value);
  return shaped(entry.what, () => normalise(value), hint);
}

/** The reply to the hello the connector sent while negotiating. */
export async function interpretHello(entry: Expected, payload: Payload, where: string): Promise<HelloReply> {
  if (payload.kind !== "json") throw new ProtocolError(`The agent at ${where} answered hello with a binary frame: is it a socktop agent?`);
  const agentError = agentErrorOf(payload.value, "hello");
  if (agentError !== null) throw agentError;
  const value = entry.id === undefined ? payload.value : unwrap(entry, payload.value);
  return shaped("hello", () => checkHello(value));
}
