/**
 * The connection core: one logical connection to an agent over a succession
 * of links (WebSocket connections), with pipelined requests matched to replies
 * by order, protocol negotiation per link (from the upgrade headers, or from
 * the link's first frame where the platform hides them), request timeouts, and
 * reconnection.
 * Platform-neutral: everything Node- or browser-specific is behind Platform.
 */
import {
  HELLO_QUERY_PARAMETER,
  LEGACY_PROTOCOL_VERSION,
  encodeRequest,
  isReply,
  parseSignalName,
  type CgroupsReply,
  type DiskIoReply,
  type LoadReply,
  type SignalName,
  type SignalReply,
  type DiskInfo,
  type HelloReply,
  type JournalReply,
  type Metrics,
  type ProcessListReply,
  type ProcessMetricsReply,
  type Request,
  type RequestId,
} from "@socktop/protocol";
import {
  AgentError,
  ConnectionClosedError,
  DecodeError,
  NotConnectedError,
  ProtocolError,
  SocktopError,
  TimeoutError,
  UnsupportedProtocolError,
  describe,
} from "./errors.js";
import {
  agentErrorOf,
  checkCgroups,
  checkDiskIo,
  checkLoad,
  checkSignal,
  checkHello,
  checkJournal,
  checkProcessMetrics,
  checkProcesses,
  decodeProcesses,
  envelopeOf,
  normaliseDisks,
  normaliseMetrics,
  readFrame,
  shaped,
  type Payload,
} from "./decode.js";
import { CONNECTOR_PROTOCOL_VERSION, infoFromHeaders, infoFromHello, legacyAgentInfo, pendingAgentInfo, type AgentInfo } from "./negotiate.js";
import { resolveOptions, type ConnectOptions, type ResolvedOptions } from "./options.js";
import { ReconnectSchedule, type ReconnectStatus } from "./reconnect.js";
import type { Frame, Platform, PreparedPlatform, Transport } from "./transport.js";
import { parseAgentUrl, withQueryParameter, type AgentUrl } from "./url.js";

export type ConnectionState = "connecting" | "open" | "reconnecting" | "closed";

export interface ConnectionEvents {
  /** The state changed; `error` says why when the link was lost or could not be made. */
  state: (state: ConnectionState, error?: SocktopError) => void;
  /** A reconnection attempt will start in `delayMs` (attempt counts from 1); `error` is why the last link or attempt failed. */
  "reconnect-scheduled": (delayMs: number, attempt: number, error: SocktopError) => void;
  /**
   * The attempt `reconnect-scheduled` announced starts now (its delay ran out, or `retryNow()`);
   * `reconnection.attempting` is true from here until it succeeds (state "open") or the next
   * one is scheduled. For a banner that says "reconnecting…" instead of a countdown at 0.
   */
  "reconnect-attempt": (attempt: number) => void;
  /**
   * `info` was replaced: on every new link, and when the agent identifies itself after the link
   * opened (browsers: the first frame; Node: the pipelined hello's reply).
   */
  info: (info: AgentInfo) => void;
}

export interface AgentConnection {
  /**
   * What the agent stated; refreshed on every reconnection. In browsers it is `source: "pending"`
   * until the link's first frame arrives (at the latest, when the first reply resolves).
   */
  readonly info: AgentInfo;
  readonly state: ConnectionState;
  /** The agent URL as dialled, with the token shown as `***` (and without the `socktop_hello=1` browsers add). */
  readonly url: string;
  /**
   * Where reconnection stands: attempts since a link last worked, when the next one starts,
   * whether one is under way, and the last error (with its stable `code`). A fresh snapshot
   * on every read; read it on the `state`, `reconnect-scheduled` and `reconnect-attempt` events (and on a timer
   * for a countdown).
   */
  readonly reconnection: ReconnectStatus;
  /**
   * Starts the waiting reconnection attempt now instead of at the end of its delay. Returns
   * false (and does nothing) when no attempt is waiting: open, closed, one already under way,
   * or reconnection turned off.
   */
  retryNow(): boolean;
  /** Fast metrics, always in the seed's field names plus `process_count`, whichever agent and protocol. */
  metrics(): Promise<Metrics>;
  disks(): Promise<DiskInfo[]>;
  /**
   * Every process (unsorted, threads excluded). On protocol 2 with an agent that states
   * `process_rows`, each row also has ppid, uid, user, state, threads, start_time and command
   * (each absent when the agent could not read it); from other agents only the four basic fields.
   */
  processes(): Promise<ProcessListReply>;
  processMetrics(pid: number): Promise<ProcessMetricsReply>;
  journalEntries(pid: number): Promise<JournalReply>;
  /** Load average and uptime. Needs the agent's `load` capability (else an AgentError, UNKNOWN_REQUEST). */
  load(): Promise<LoadReply>;
  /** Disk I/O rates per block device, whole disks followed by their partitions. Capability `disk_io`. */
  diskIo(): Promise<DiskIoReply>;
  /**
   * CPU and memory per cgroup v2 group (services, sessions, containers, pods), or
   * `{available: false, reason}` on machines without cgroup v2. Capability `cgroups`.
   * `cgroupSubtree(reply.groups, path)` (from @socktop/protocol) gives a group's processes.
   */
  cgroups(): Promise<CgroupsReply>;
  /**
   * Asks the agent to send a signal (TERM, INT, HUP, KILL, STOP or CONT) to a process. Only an agent
   * started with --allow-signals states the `signal` capability; refusals are AgentErrors whose
   * agentCode is FORBIDDEN (signals off, pid 1, the agent, a kernel thread), PERMISSION_DENIED (the
   * kernel's EPERM: another user's process) or NOT_FOUND.
   */
  signal(pid: number, signal: SignalName): Promise<SignalReply>;
  /** Closes the connection for good: requests waiting fail with CONNECTION_CLOSED, no reconnection. */
  close(): Promise<void>;
  on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void;
}

type Kind = Request["kind"];

interface Pending {
  what: string;
  kind: Kind;
  id: RequestId | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  interpret(payload: Payload): Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: SocktopError): void;
}

/** One WebSocket connection and the requests waiting on it. */
class Link {
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

const CLOSE_NORMAL = 1000;
/** How long close() waits for the agent to acknowledge before dropping the socket. */
const CLOSE_GRACE_MS = 1000;

function rethrowLater(error: unknown): void {
  // A throwing listener is the program's bug: report it like an uncaught
  // exception rather than lose it or let it break the connection's bookkeeping.
  setTimeout(() => {
    throw error;
  }, 0);
}

function asSocktopError(error: unknown, what: string): SocktopError {
  if (error instanceof SocktopError) return error;
  return new DecodeError(`Could not read the agent's reply to ${what}: ${describe(error)}`, { cause: error });
}

/** The agent's pushed hello, unchecked, when the frame is one; null for anything else (a reply). */
function pushedHello(frame: Frame): unknown {
  // Cheap test first: a legacy reply is never a JSON object typed "hello", and most are binary.
  if (typeof frame !== "string" || !frame.includes('"hello"')) return null;
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return null;
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) && (value as { type?: unknown }).type === "hello" ? value : null;
}

function validPid(pid: number): void {
  if (!Number.isInteger(pid) || pid < 1 || pid > 0xffff_ffff) {
    throw new RangeError(`pid must be an integer from 1 to 4294967295, not ${String(pid)}`);
  }
}

export class Connection implements AgentConnection {
  private currentState: ConnectionState = "connecting";
  private currentInfo: AgentInfo = legacyAgentInfo();
  private link: Link | null = null;
  private closedByUser = false;
  private nextId = 1;
  /** Null when reconnection is off. */
  private readonly schedule: ReconnectSchedule | null;
  private closing: Promise<void> | undefined;
  private readonly listeners = {
    state: new Set<ConnectionEvents["state"]>(),
    "reconnect-scheduled": new Set<ConnectionEvents["reconnect-scheduled"]>(),
    "reconnect-attempt": new Set<ConnectionEvents["reconnect-attempt"]>(),
    info: new Set<ConnectionEvents["info"]>(),
  };

  constructor(
    private readonly platform: PreparedPlatform,
    private readonly agentUrl: AgentUrl,
    private readonly options: ResolvedOptions,
  ) {
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
    const set = this.listeners[event] as Set<ConnectionEvents[E]> | undefined;
    if (set === undefined) throw new RangeError(`unknown event ${JSON.stringify(event)}: use "state", "reconnect-scheduled", "reconnect-attempt" or "info"`);
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  private emit<E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): void {
    for (const listener of [...this.listeners[event]] as Array<(...a: Parameters<ConnectionEvents[E]>) => void>) {
      try {
        listener(...args);
      } catch (error) {
        rethrowLater(error);
      }
    }
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

  /** Decides the protocol of a fresh link from what the agent stated, and sets `currentInfo`. */
  private async negotiate(link: Link, transport: Transport, timeoutMs: number): Promise<void> {
    const where = this.url;
    if (this.options.protocol === "legacy") {
      const stated = transport.headers === null ? null : infoFromHeaders(transport.headers, where, true);
      this.setInfo(stated ?? legacyAgentInfo());
      link.mode = "legacy";
      this.markReady(link);
      return;
    }
    if (this.platform.discovery === "first-frame") {
      // Waiting for the first frame would cost the original agent a request timeout, since it
      // sends nothing unasked. So the link is usable at once, in the legacy dialect every agent
      // answers, and the first frame (our agent's pushed hello, or a reply) settles it: onFrame.
      this.setInfo(pendingAgentInfo());
      link.mode = "legacy";
      link.identifying = true;
      this.markReady(link);
      return;
    }
    const stated = transport.headers === null ? null : infoFromHeaders(transport.headers, where, false);
    if (stated === null || stated.protocolVersion === LEGACY_PROTOCOL_VERSION) {
      // Nothing stated: the original agent, which ignores anything but the legacy commands.
      this.setInfo(stated ?? legacyAgentInfo());
      link.mode = "legacy";
      this.markReady(link);
      return;
    }
    this.setInfo(stated);
    link.mode = "v2";
    link.useIds = stated.capabilities.includes("request_id");
    if (!stated.capabilities.includes("hello")) {
      this.markReady(link);
      return;
    }
    // The hello switches the agent's error replies to typed frames and tells its minimum
    // protocol. It is pipelined: requests go out behind it without waiting. Only an agent
    // newer than this connector that did not state its minimum must be heard first.
    const mustWait = stated.agentMinProtocolVersion === null && stated.agentProtocolVersion > CONNECTOR_PROTOCOL_VERSION;
    const id = link.useIds ? this.nextId++ : undefined;
    const hello = this.expectHello(link, id, mustWait ? timeoutMs : this.options.requestTimeoutMs);
    transport.send(encodeRequest(id === undefined ? { kind: "hello", dialect: "json" } : { kind: "hello", dialect: "json", id }));
    this.markReady(link);
    if (mustWait) {
      this.setInfo(infoFromHello(await hello, where));
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
        interpret: async (payload) => {
          if (payload.kind !== "json") throw new ProtocolError(`The agent at ${this.url} answered hello with a binary frame: is it a socktop agent?`);
          const agentError = agentErrorOf(payload.value, "hello");
          if (agentError !== null) throw agentError;
          const value = id === undefined ? payload.value : this.unwrap(entry, payload.value);
          return shaped("hello", () => checkHello(value));
        },
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
    const hello = pushedHello(frame);
    if (hello === null) {
      // Our agent sends its hello before any reply can be sent, so a reply first means an agent
      // that ignored ?socktop_hello=1: the original, which keeps the legacy commands.
      this.setInfo(legacyAgentInfo());
      return false;
    }
    let info: AgentInfo;
    try {
      // Checked synchronously: later frames are read in the dialect this hello decides.
      if (!isReply("hello", hello) || hello.min_protocol_version > hello.protocol_version) {
        throw new ProtocolError(`The agent's first frame is typed "hello" but is not a hello reply (see hello.schema.json): ${JSON.stringify(hello).slice(0, 200)}`);
      }
      info = infoFromHello(hello, this.url);
    } catch (error) {
      this.dropLink(link, asSocktopError(error, "hello"));
      return true;
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

  private unwrap(entry: Pending, value: unknown): unknown {
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

  private interpretJson<T>(entry: Pending, payload: Payload, normalise: (value: unknown) => Promise<T>, hint: string): Promise<T> {
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
    const value = entry.id === undefined ? payload.value : this.unwrap(entry, payload.value);
    return shaped(entry.what, () => normalise(value), hint);
  }

  private request<T>(
    kind: Exclude<Kind, "hello">,
    pid: number | undefined,
    interpret: (entry: Pending, payload: Payload) => Promise<T>,
    signal?: SignalName,
  ): Promise<T> {
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
    const request = {
      kind,
      // Signals have no plain-text command: JSON even on a legacy-command link (agents that state `signal` read both).
      dialect: link.mode === "legacy" && kind !== "signal" ? "legacy" : "json",
      ...(pid === undefined ? {} : { pid }),
      ...(signal === undefined ? {} : { signal }),
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

  private legacyHint(kind: Kind): string {
    const link = this.link;
    if (link?.mode !== "legacy" || (kind !== "process_metrics" && kind !== "journal_entries")) return "";
    return " Agents that predate this request ignore it, which puts replies out of step; the connector reconnects to recover.";
  }

  metrics(): Promise<Metrics> {
    return this.request("metrics", undefined, (entry, payload) => this.interpretJson(entry, payload, normaliseMetrics, ""));
  }

  disks(): Promise<DiskInfo[]> {
    return this.request("disks", undefined, (entry, payload) => this.interpretJson(entry, payload, normaliseDisks, ""));
  }

  processes(): Promise<ProcessListReply> {
    return this.request("processes", undefined, async (entry, payload) => {
      if (payload.kind === "json") {
        const agentError = agentErrorOf(payload.value, entry.what);
        if (agentError !== null) throw agentError;
        throw new ProtocolError(`The agent answered processes with JSON where the binary process list was due: replies are out of step, so the connection is reset.`);
      }
      const list = decodeProcesses(payload.bytes);
      return shaped(entry.what, () => checkProcesses(list));
    });
  }

  processMetrics(pid: number): Promise<ProcessMetricsReply> {
    try {
      validPid(pid);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.request("process_metrics", pid, (entry, payload) =>
      this.interpretJson(entry, payload, checkProcessMetrics, this.legacyHint("process_metrics")),
    );
  }

  journalEntries(pid: number): Promise<JournalReply> {
    try {
      validPid(pid);
    } catch (error) {
      return Promise.reject(error);
    }
    return this.request("journal_entries", pid, (entry, payload) =>
      this.interpretJson(entry, payload, checkJournal, this.legacyHint("journal_entries")),
    );
  }

  /** Refuses, before sending, a request the agent did not say it serves: an agent that ignores it would put replies out of step. */
  private unsupported(capability: string, what: string): Promise<never> | null {
    const info = this.currentInfo;
    if (info.capabilities.includes(capability)) return null;
    const why =
      info.source === "pending"
        ? "the agent has not identified itself yet (wait for the first reply)"
        : `it does not state the "${capability}" capability${info.legacy ? " (an original socktop_agent)" : ""}`;
    return Promise.reject(
      new AgentError(`The agent at ${this.url} cannot answer ${what}: ${why}.`, {
        agentMessage: `capability "${capability}" not offered`,
        agentCode: "UNKNOWN_REQUEST",
        request: what,
      }),
    );
  }

  load(): Promise<LoadReply> {
    return this.unsupported("load", "load") ?? this.request("load", undefined, (entry, payload) => this.interpretJson(entry, payload, checkLoad, ""));
  }

  diskIo(): Promise<DiskIoReply> {
    return this.unsupported("disk_io", "disk_io") ?? this.request("disk_io", undefined, (entry, payload) => this.interpretJson(entry, payload, checkDiskIo, ""));
  }

  cgroups(): Promise<CgroupsReply> {
    return this.unsupported("cgroups", "cgroups") ?? this.request("cgroups", undefined, (entry, payload) => this.interpretJson(entry, payload, checkCgroups, ""));
  }

  signal(pid: number, signal: SignalName): Promise<SignalReply> {
    try {
      validPid(pid);
    } catch (error) {
      return Promise.reject(error);
    }
    const name = parseSignalName(signal);
    if (name === null) return Promise.reject(new RangeError(`signal must be one of TERM, INT, HUP, KILL, STOP, CONT, not ${JSON.stringify(signal)}`));
    return (
      this.unsupported("signal", "signal") ??
      this.request("signal", pid, (entry, payload) => this.interpretJson(entry, payload, checkSignal, ""), name)
    );
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
