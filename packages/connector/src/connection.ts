/**
 * The connection core: one logical connection to an agent over a succession
 * of links, with pipelined requests matched to replies by order, protocol
 * negotiation per link, request timeouts, and reconnection. The typed
 * requests are request-api.ts's, reply checks interpret.ts's, the link
 * link.ts's, the retry timing reconnect.ts's. Platform-neutral: everything
 * Node- or browser-specific is behind Platform.
 */
import { HELLO_QUERY_PARAMETER, LEGACY_PROTOCOL_VERSION, encodeRequest, type HelloReply, type Request, type RequestId } from "@socktop/protocol";
import type { AgentConnection, ConnectionEvents, ConnectionState } from "./connection-types.js";
import { ConnectionClosedError, NotConnectedError, ProtocolError, SocktopError, TimeoutError, UnsupportedProtocolError, describe } from "./errors.js";
import { readFrame } from "./decode.js";
import { asSocktopError, interpretHello } from "./interpret.js";
import { Link, type Kind, type Pending } from "./link.js";
import { Emitter } from "./emitter.js";
import { infoFromFirstFrame, infoFromHello, legacyAgentInfo, planLink, type AgentInfo } from "./negotiate.js";
import { resolveOptions, type ConnectOptions, type ResolvedOptions } from "./options.js";
import { ReconnectSchedule, type ReconnectStatus } from "./reconnect.js";
import { RequestApi, type Interpreter, type RequestFields } from "./request-api.js";
import type { Frame, Platform, PreparedPlatform, Transport } from "./transport.js";
import { parseAgentUrl, withQueryParameter, type AgentUrl } from "./url.js";

export type { AgentConnection, ConnectionEvents, ConnectionState, ProcessesOptions } from "./connection-types.js";

const CLOSE_NORMAL = 1000;
/** How long close() waits for the agent to acknowledge before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

export class Connection extends RequestApi implements AgentConnection {
  private currentState: ConnectionState = "connecting";
  private currentInfo: AgentInfo = legacyAgentInfo();
  private link: Link | null = null;
  private closedByUser = false;
  private nextId = 1;
  /** Null when reconnection is off. */
  private readonly schedule: ReconnectSchedule | null;
  private closing: Promise<void> | undefined;
  private readonly events = new Emitter<ConnectionEvents>(["state", "reconnect-scheduled", "reconnect-attempt", "info"]);

  constructor(
    private readonly platform: PreparedPlatform,
    private readonly agentUrl: AgentUrl,
    private readonly options: ResolvedOptions,
  ) {
    super();
    this.schedule =
      options.reconnect === null
        ? null
        : new ReconnectSchedule(
            options.reconnect,
            () => this.reconnect(),
            (delayMs, attempt, error) => this.emit("reconnect-scheduled", delayMs, attempt, error),
            (attempt) => this.emit("reconnect-attempt", attempt),
          );
  }

  get reconnection(): ReconnectStatus {
    return this.schedule?.status ?? Object.freeze({ attempt: 0, nextAttemptAt: null, attempting: false, lastError: null });
  }

  retryNow(): boolean {
    return !this.closedByUser && (this.schedule?.retryNow() ?? false);
  }

  get info(): AgentInfo {
    return this.currentInfo;
  }

  private setInfo(info: AgentInfo): void {
    Object.freeze(info.capabilities);
    this.currentInfo = Object.freeze(info);
    this.emit("info", this.currentInfo);
  }

  get state(): ConnectionState {
    return this.currentState;
  }

  get url(): string {
    return this.agentUrl.display;
  }

  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
    return this.events.on(event, listener);
  }

  private emit<E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): void {
    this.events.emit(event, ...args);
  }

  private setState(state: ConnectionState, error?: SocktopError): void {
    if (state === this.currentState && error === undefined) return;
    this.currentState = state;
    if (error === undefined) this.emit("state", state);
    else this.emit("state", state, error);
  }

  // ------------------------------------------------------------------ connecting

  /**
   * The first connection, retried like a reconnection (option `retryInitialConnect`): returns
   * at once in state "connecting"; a failure goes to "reconnecting" with the error.
   */
  startRetrying(): void {
    this.schedule?.start();
  }

  /** The first connection: rejects (and ends in "closed") instead of retrying, so that callers see the problem at once. */
  async start(): Promise<void> {
    try {
      await this.establish();
    } catch (error) {
      const e = asSocktopError(error, "the connection");
      this.setState("closed", e);
      throw e;
    }
    this.setState("open");
  }

  /** Opens a link and negotiates the protocol on it. On success it is the current link. */
  private async establish(): Promise<void> {
    const link = new Link();
    this.link = link;
    const { protocol, connectTimeoutMs } = this.options;
    const started = Date.now();
    // Our agent then pushes its hello as the link's first frame; the original ignores the parameter.
    const url =
      protocol === "auto" && this.platform.discovery === "first-frame" ? withQueryParameter(this.agentUrl, HELLO_QUERY_PARAMETER, "1") : this.agentUrl;
    const transport = await this.platform.open(
      { url, timeoutMs: connectTimeoutMs },
      {
        message: (frame) => this.onFrame(link, frame),
        close: (code, reason, error) => this.onClose(link, code, reason, error),
      },
    );
    link.transport = transport;
    try {
      if (this.closedByUser || this.link !== link) {
        throw new NotConnectedError(`The connection to ${this.url} was closed while it was being opened.`, { state: "closed" });
      }
      await this.negotiate(link, transport, Math.max(1, connectTimeoutMs - (Date.now() - started)));
      if (this.closedByUser) {
        throw new NotConnectedError(`The connection to ${this.url} was closed while it was being opened.`, { state: "closed" });
      }
    } catch (error) {
      const e = link.lostError ?? asSocktopError(error, "the connection");
      this.dropLink(link, e);
      throw error instanceof SocktopError ? error : e;
    }
    if (link.dead) throw link.lostError ?? new ConnectionClosedError(`The connection to ${this.url} closed while connecting.`);
  }

  /** Starts a fresh link as planLink (negotiate.ts) decides from what the agent stated, and sets `currentInfo`. */
  private async negotiate(link: Link, transport: Transport, timeoutMs: number): Promise<void> {
    const plan = planLink(this.options.protocol, this.platform.discovery, transport.headers, this.url);
    this.setInfo(plan.info);
    link.mode = plan.mode;
    if (plan.mode === "legacy") {
      link.identifying = plan.identifying;
      this.markReady(link);
      return;
    }
    link.useIds = plan.useIds;
    if (plan.hello === "none") {
      this.markReady(link);
      return;
    }
    // Pipelined: requests go out behind the hello without waiting for it.
    const id = link.useIds ? this.nextId++ : undefined;
    const hello = this.expectHello(link, id, plan.hello === "awaited" ? timeoutMs : this.options.requestTimeoutMs);
    transport.send(encodeRequest(id === undefined ? { kind: "hello", dialect: "json" } : { kind: "hello", dialect: "json", id }));
    this.markReady(link);
    if (plan.hello === "awaited") {
      this.setInfo(infoFromHello(await hello, this.url));
    } else {
      hello.then(
        (reply) => this.onLateHello(link, reply),
        (error: SocktopError) => this.onLateHelloFailed(link, error),
      );
    }
  }

  /** Negotiation has queued what it expects: frames that came early are matched now. */
  private markReady(link: Link): void {
    link.ready = true;
    for (const frame of link.early.splice(0)) this.onFrame(link, frame);
  }

  /** Queues the reply slot of the hello just sent, and waits for its reply. */
  private expectHello(link: Link, id: RequestId | undefined, timeoutMs: number): Promise<HelloReply> {
    return new Promise<HelloReply>((resolve, reject) => {
      const entry: Pending = {
        what: "hello",
        kind: "hello",
        id,
        timer: undefined,
        interpret: (payload) => interpretHello(entry, payload, this.url),
        resolve: (value) => resolve(value as HelloReply),
        reject,
      };
      entry.timer = setTimeout(() => {
        this.failOnTimeout(
          link,
          entry,
          new TimeoutError(`The agent at ${this.url} did not introduce itself (hello) within ${timeoutMs} ms: check that it is a socktop agent and reachable, or allow a longer connect timeout.`, {
            phase: "connect",
            timeoutMs,
          }),
        );
      }, timeoutMs);
      link.pending.push(entry);
    });
  }

  private onLateHello(link: Link, hello: HelloReply): void {
    if (link.dead || this.link !== link) return;
    try {
      this.setInfo(infoFromHello(hello, this.url));
    } catch (error) {
      this.dropLink(link, asSocktopError(error, "hello"));
    }
  }

  private onLateHelloFailed(link: Link, error: SocktopError): void {
    // A lost link already reported itself; anything else means the agent misbehaved.
    if (link.dead || this.link !== link) return;
    this.dropLink(link, error);
  }

  // ------------------------------------------------------------------ link events

  private onFrame(link: Link, frame: Frame): void {
    if (link.dead) return;
    if (!link.ready) {
      link.early.push(frame);
      return;
    }
    link.framesReceived++;
    const wasHello = link.identifying && this.identify(link, frame);
    // A hello it could not accept ends the link: that is no sign of a working agent.
    if (link.dead) return;
    // A link counts as working once the agent has said something on it: an agent that
    // accepts and then drops every connection (as the original does on a wrong token)
    // keeps backing off instead of being retried at the initial delay forever.
    if (link.framesReceived === 1) this.schedule?.worked();
    if (wasHello) return;
    const entry = link.pending.shift();
    if (entry === undefined) {
      const kind = typeof frame === "string" ? `a text frame (${JSON.stringify(frame.slice(0, 60))})` : `a ${frame.length}-byte binary frame`;
      this.dropLink(link, new ProtocolError(`The agent at ${this.url} sent ${kind} that answers no request: replies are out of step, so the connection is reset.`));
      return;
    }
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    link.decodeTail = link.decodeTail.then(async () => {
      let value: unknown;
      try {
        const payload = await readFrame(frame, entry.what, (bytes, max) => this.platform.gunzip(bytes, max));
        value = await entry.interpret(payload);
      } catch (error) {
        const e = asSocktopError(error, entry.what);
        entry.reject(e);
        // A reply of the wrong shape or id means later replies would be matched to the wrong requests.
        if (e instanceof ProtocolError && !link.dead) this.dropLink(link, e);
        return;
      }
      entry.resolve(value);
    });
  }

  /**
   * Settles a "first-frame" link from its first frame. True when the frame was our agent's
   * pushed hello (consumed here); false when it is a reply, to be matched as usual.
   */
  private identify(link: Link, frame: Frame): boolean {
    link.identifying = false;
    let info: AgentInfo | null;
    try {
      info = infoFromFirstFrame(frame, this.url);
    } catch (error) {
      this.dropLink(link, asSocktopError(error, "hello"));
      return true;
    }
    if (info === null) {
      this.setInfo(legacyAgentInfo());
      return false;
    }
    this.setInfo(info);
    // Only requests issued from now on change dialect: those already sent went out as legacy
    // commands, and their replies (which follow the hello, in order) are read as such.
    if (info.protocolVersion > LEGACY_PROTOCOL_VERSION) {
      link.mode = "v2";
      link.useIds = info.capabilities.includes("request_id");
    }
    return true;
  }

  private onClose(link: Link, code: number, reason: string, error?: SocktopError): void {
    link.markClosed();
    if (link.dead) return;
    const tokenHint =
      link.framesReceived === 0 && this.currentInfo.legacy
        ? " An original socktop_agent closes connections whose ?token= does not match: check the token."
        : "";
    const lost =
      error ??
      new ConnectionClosedError(
        `The agent at ${this.url} closed the connection (code ${code}${reason ? ` "${reason}"` : ""}).${tokenHint}`,
        { closeCode: code, closeReason: reason },
      );
    this.linkLost(link, lost);
  }

  /** Gives up on a link the connector can no longer trust (stuck, or replies out of step). */
  private dropLink(link: Link, error: SocktopError): void {
    if (link.dead) return;
    link.transport?.terminate();
    this.linkLost(link, error);
  }

  private failOnTimeout(link: Link, entry: Pending, error: TimeoutError): void {
    const index = link.pending.indexOf(entry);
    if (index < 0 || link.dead) return;
    link.pending.splice(index, 1);
    entry.reject(error);
    // Replies come in request order: everything behind an unanswered request is stuck too,
    // and a late reply would be matched to the wrong request. Start over on a new link.
    this.dropLink(
      link,
      new ConnectionClosedError(`The connection to ${this.url} was reset because the agent did not answer ${entry.what} within ${error.timeoutMs} ms.`, {
        cause: error,
      }),
    );
  }

  private linkLost(link: Link, error: SocktopError): void {
    link.dead = true;
    link.lostError = error;
    const waiting = link.pending.splice(0);
    for (const entry of waiting) {
      if (entry.timer !== undefined) clearTimeout(entry.timer);
      entry.reject(
        // A version mismatch is the real reason, and CONNECTION_CLOSED would invite a retry.
        error instanceof UnsupportedProtocolError
          ? error
          : error instanceof ConnectionClosedError
            ? new ConnectionClosedError(`No reply to ${entry.what}: ${error.message}`, { cause: error, closeCode: error.closeCode, closeReason: error.closeReason })
            : new ConnectionClosedError(`No reply to ${entry.what}: the connection to ${this.url} was lost (${error.message})`, { cause: error }),
      );
    }
    if (this.link !== link || this.closedByUser || this.currentState !== "open") return;
    // Retrying cannot help a version mismatch until someone upgrades one side.
    if (this.schedule === null || error instanceof UnsupportedProtocolError) {
      this.setState("closed", error);
      return;
    }
    this.setState("reconnecting", error);
    this.schedule.failed(error);
  }

  // ------------------------------------------------------------------ reconnection

  /** One attempt, run by the schedule: the error when it failed and the schedule should go on, else null. */
  private async reconnect(): Promise<SocktopError | null> {
    if (this.closedByUser) return null;
    try {
      await this.establish();
    } catch (error) {
      if (this.closedByUser) return null;
      const e = asSocktopError(error, "the connection");
      if (e instanceof UnsupportedProtocolError) {
        // Retrying cannot help until someone upgrades one side.
        this.setState("closed", e);
        return null;
      }
      // A first connection being retried: from now on it is reconnecting, with a reason.
      if (this.currentState === "connecting") this.setState("reconnecting", e);
      return e;
    }
    this.setState("open");
    return null;
  }

  // ------------------------------------------------------------------ requests

  protected request<T>(kind: Exclude<Kind, "hello">, pid: number | undefined, interpret: Interpreter<T>, fields: RequestFields = {}): Promise<T> {
    const { signal } = fields;
    const what = pid === undefined ? kind : signal === undefined ? `${kind}(${pid})` : `${kind}(${pid}, ${signal})`;
    const link = this.link;
    if (this.currentState !== "open" || link === null || link.dead || link.transport === null) {
      const state = this.currentState === "open" ? "reconnecting" : this.currentState;
      const message =
        state === "closed"
          ? `Cannot ask for ${what}: the connection to ${this.url} is closed. Connect again.`
          : `Cannot ask for ${what}: the connection to ${this.url} is ${state === "connecting" ? "still opening" : "being re-established"}. Retry once it is open.`;
      return Promise.reject(new NotConnectedError(message, { state }));
    }
    const id = link.mode === "v2" && link.useIds ? this.nextId++ : undefined;
    // Signals have no plain-text command: JSON even on a legacy-command link (agents that state `signal` read both).
    const dialect = link.mode === "legacy" && kind !== "signal" ? "legacy" : "json";
    const request = {
      kind,
      dialect,
      ...(pid === undefined ? {} : { pid }),
      ...(signal === undefined ? {} : { signal }),
      // No legacy form: a legacy link asks for the whole list (request-api cuts it).
      ...(fields.top === undefined || dialect === "legacy" ? {} : { top: fields.top }),
      ...(id === undefined ? {} : { id }),
    } as Request;
    return new Promise<T>((resolve, reject) => {
      const entry: Pending = {
        what,
        kind,
        id,
        timer: undefined,
        interpret: (payload) => interpret(entry, payload),
        resolve: (value) => resolve(value as T),
        reject,
      };
      link.pending.push(entry);
      const timeoutMs = this.options.requestTimeoutMs;
      entry.timer = setTimeout(() => {
        this.failOnTimeout(
          link,
          entry,
          new TimeoutError(`The agent at ${this.url} did not answer ${what} within ${timeoutMs} ms: it may be overloaded or the network stalled. The connection is re-established by itself; allow a longer request timeout if the agent is just slow.`, {
            phase: "request",
            timeoutMs,
          }),
        );
      }, timeoutMs);
      try {
        link.transport?.send(encodeRequest(request));
      } catch (cause) {
        this.dropLink(link, new ConnectionClosedError(`Could not send ${what} to ${this.url}: ${describe(cause)}`, { cause }));
      }
    });
  }

  protected legacyLink(): boolean {
    return this.link?.mode === "legacy";
  }

  // ------------------------------------------------------------------ closing

  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    this.closedByUser = true;
    this.schedule?.cancel();
    const link = this.link;
    const wasClosed = this.currentState === "closed";
    this.setState("closed");
    if (link === null || link.transport === null || wasClosed) return;
    if (!link.dead) {
      this.linkLost(link, new ConnectionClosedError(`The connection to ${this.url} was closed by close().`, { closeCode: CLOSE_NORMAL }));
      link.transport.close(CLOSE_NORMAL, "client closing");
    }
    // Wait for the agent's acknowledgement, but not for an agent that never sends it.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), CLOSE_GRACE_MS);
    });
    const outcome = await Promise.race([link.closed, grace]);
    clearTimeout(timer);
    if (outcome === "timeout") link.transport.terminate();
  }
}

/** connect() for a given platform: validates, opens, negotiates; rejects with a SocktopError when the agent cannot be reached. */
export async function connectWith(platform: Platform, url: string, options?: ConnectOptions): Promise<AgentConnection> {
  const resolved = resolveOptions(options);
  const agentUrl = parseAgentUrl(url, resolved);
  const prepared = await platform.prepare(resolved);
  const connection = new Connection(prepared, agentUrl, resolved);
  if (resolved.retryInitialConnect) connection.startRetrying();
  else await connection.start();
  return connection;
}
