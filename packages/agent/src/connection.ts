/**
 * One WebSocket client: parse each frame, hand it to the handler, and send
 * the replies back in the order the requests arrived, even when a later
 * request is answered first (pipelining).
 */
import { parseRequest } from "@socktop/protocol";
import type { RawData, WebSocket } from "ws";
import { isPending } from "./collected.js";
import type { RequestHandler, Session } from "./handler.js";
import type { EncodedReply } from "./replies.js";
import type { Logger } from "./log.js";

export interface ConnectionLimits {
  /** A client whose unsent replies exceed this many bytes is not reading: it is disconnected. */
  maxBufferedBytes: number;
  /** Requests received but not yet answered; beyond this the client is flooding. */
  maxPendingRequests: number;
}

export const DEFAULT_CONNECTION_LIMITS: ConnectionLimits = {
  maxBufferedBytes: 8 * 1024 * 1024,
  maxPendingRequests: 256,
};

/** Close codes the agent uses (RFC 6455 §7.4.1). */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_TOO_BIG = 1009;

function frameBytes(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/**
 * What parseRequest takes: a text frame's text (ws has checked it is UTF-8),
 * decoded here by Buffer, as given bytes parseRequest would build a
 * TextDecoder for every request; a binary frame's bytes, which are not read.
 */
function requestFrame(data: RawData, isBinary: boolean): string | Buffer {
  return isBinary ? frameBytes(data) : frameBytes(data).toString("utf8");
}

/** ws's send options, one object per frame kind rather than one per reply. */
const TEXT_FRAME = { binary: false } as const;
const BINARY_FRAME = { binary: true } as const;

export function serveConnection(
  socket: WebSocket,
  handler: RequestHandler,
  session: Session,
  log: Logger,
  limits: ConnectionLimits = DEFAULT_CONNECTION_LIMITS,
): void {
  let tail: Promise<void> = Promise.resolve();
  let pending = 0;

  const send = (reply: EncodedReply): void => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > limits.maxBufferedBytes) {
      log.warn(`client not reading (${socket.bufferedAmount} bytes unsent): disconnected`);
      socket.terminate();
      return;
    }
    socket.send(reply.data, reply.binary ? BINARY_FRAME : TEXT_FRAME);
  };
  const sendFailed = (error: unknown): void => log.error(`reply failed: ${error instanceof Error ? error.message : String(error)}`);

  socket.on("message", (data, isBinary) => {
    if (pending >= limits.maxPendingRequests) {
      if (socket.readyState !== socket.OPEN) return;
      socket.close(CLOSE_POLICY_VIOLATION, "too many requests in flight");
      // A flooding client may not read either, and then never answers the
      // close handshake: give it a moment, then drop the connection.
      setTimeout(() => socket.terminate(), 1000).unref();
      return;
    }
    const reply = handler.handle(parseRequest(requestFrame(data, isBinary), isBinary), session);
    // Ready at once and nothing queued before it: sent now, already in order (no promise chain,
    // no microtask turns: a watched agent's usual metrics request).
    if (pending === 0 && !isPending(reply)) {
      try {
        send(reply);
      } catch (error) {
        sendFailed(error);
      }
      return;
    }
    pending++;
    tail = tail
      .then(() => reply)
      .then(send)
      .catch(sendFailed)
      .finally(() => {
        pending--;
      });
  });

  // ws reports protocol violations (over-size frame → 1009, bad UTF-8 → 1007)
  // as socket errors after closing with the right code. Without a listener they
  // would crash the process; with it, only this client is affected.
  socket.on("error", () => {});
}
