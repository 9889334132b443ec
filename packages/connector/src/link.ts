/**
 * One WebSocket connection (a link) of a logical connection, and the
 * requests waiting on it in order: replies carry no request they answer
 * (legacy) or an id that must be the next one due (protocol 2), so each reply
 * is matched to the oldest pending request.
 */
import type { Request, RequestId } from "@socktop/protocol";
import type { SocktopError } from "./errors.js";
import type { Payload } from "./decode.js";
import type { Frame, Transport } from "./transport.js";

export type Kind = Request["kind"];

/** A request sent on a link and still waiting for its reply. */
export interface Pending {
  /** The request as messages name it: `metrics`, `processMetrics(42)`. */
  what: string;
  kind: Kind;
  /** The protocol-2 request id, when the link uses ids. */
  id: RequestId | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  interpret(payload: Payload): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: SocktopError): void;
}

export class Link {
  transport: Transport | null = null;
  mode: "legacy" | "v2" = "legacy";
  useIds = false;
  /** Set while the link's first frame is still to tell which agent this is (discovery "first-frame"). */
  identifying = false;
  readonly pending: Pending[] = [];
  /** Replies are decoded one after the other so that they resolve in request order. */
  decodeTail: Promise<void> = Promise.resolve();
  framesReceived = 0;
  /** False while negotiating: frames that arrive before their slot is queued wait in `early`. */
  ready = false;
  readonly early: Frame[] = [];
  dead = false;
  lostError: SocktopError | null = null;
  private resolveClosed!: () => void;
  readonly closed = new Promise<void>((resolve) => {
    this.resolveClosed = resolve;
  });

  markClosed(): void {
    this.resolveClosed();
  }
}
