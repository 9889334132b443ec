/**
 * What the connection core needs from a platform. The core (queue, ordering,
 * decoding, errors, reconnection) imports nothing platform-specific; Node and
 * browsers each provide one of these.
 */
import type { SocktopError } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { AgentUrl } from "./url.js";

/** One received frame: text frames as strings, binary frames as bytes. */
export type Frame = string | Uint8Array;

export interface TransportEvents {
  message(frame: Frame): void;
  /** The link is gone. `error` is set when the platform knows why (a socket or protocol error). */
  close(code: number, reason: string, error?: SocktopError): void;
}

export interface OpenRequest {
  url: AgentUrl;
  /** Give up (with a connect TimeoutError) after this long. */
  timeoutMs: number;
}

/** One open WebSocket. */
export interface Transport {
  /** The upgrade response's headers, lower-cased names; null where the platform hides them (browsers). */
  readonly headers: Readonly<Record<string, string>> | null;
  send(text: string): void;
  /** Closes politely; `close` is reported through the events. */
  close(code?: number, reason?: string): void;
  /** Drops the link at once, without a closing handshake. */
  terminate(): void;
}

export interface Platform {
  /** Called once per connect(): reads whatever the options point at (e.g. the CA file). */
  prepare(options: ResolvedOptions): Promise<PreparedPlatform>;
}

export interface PreparedPlatform {
  /**
   * How the agent is identified. "headers": from the upgrade response, before
   * anything is sent. "first-frame": where the headers are hidden (browsers),
   * the URL asks for a pushed hello (`?socktop_hello=1`) and the link's first
   * frame tells our agent (the hello) from the original (a reply). Not the
   * `socktop.v2` subprotocol: spec-following clients fail the handshake when
   * the original agent does not select it, and retrying costs a handshake.
   */
  readonly discovery: "headers" | "first-frame";
  /** Opens a WebSocket; rejects with a SocktopError that says why not. Events may fire before it resolves. */
  open(request: OpenRequest, events: TransportEvents): Promise<Transport>;
  /** Gunzips a reply, refusing to produce more than maxBytes. */
  gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array>;
}
