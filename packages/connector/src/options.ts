/** Connection options, their defaults, and the reconnection backoff. */

export interface ReconnectOptions {
  /** Delay before the first reconnection attempt. Default 500 ms. */
  initialDelayMs?: number;
  /** Upper bound of the delay between attempts. Default 10 000 ms. */
  maxDelayMs?: number;
  /** Growth of the delay per failed attempt. Default 2. */
  factor?: number;
  /** Random spread of each delay, as a fraction (0.2 = ±20 %), so that many clients do not retry in step. Default 0.2. */
  jitter?: number;
}

export interface ConnectOptions {
  /** The agent's token, sent as `?token=` (the form every socktop agent reads). Overrides a token already in the URL. */
  token?: string;
  /**
   * Pin the agent's certificate: a PEM file path, or the PEM text itself (Node only).
   * Only this CA (or self-signed certificate) is trusted, and `ws://` is upgraded to `wss://`.
   */
  tlsCa?: string;
  /**
   * Check that the pinned certificate names the host in the URL. Default false, like the
   * original socktop: the pin alone authenticates the agent, and agents are often reached by
   * an address that is not in their certificate. Without `tlsCa`, `wss://` is verified
   * against the system's trust store with normal hostname checks, whatever this says.
   */
  verifyHostname?: boolean;
  /** How long a request may wait for its reply. Default 10 000 ms. */
  requestTimeoutMs?: number;
  /** How long opening the connection (TCP, TLS, upgrade, negotiation) may take. Default 10 000 ms. */
  connectTimeoutMs?: number;
  /** Reconnect by itself after the link drops. Default true (with the defaults of ReconnectOptions). */
  reconnect?: boolean | ReconnectOptions;
  /**
   * Retry the first connection too, like a dropped link. Default false: `connect()` rejects when
   * the first connection fails. With true, `connect()` resolves as soon as the URL and options
   * are valid, in state "connecting"; a failed attempt goes to "reconnecting" with its error and
   * is retried by the `reconnect` policy (which must not be false). For programs that show one
   * "retrying" screen whether the agent was never reached or was lost.
   */
  retryInitialConnect?: boolean;
  /** "auto" (default): protocol 2 when the agent offers it, else the legacy commands. "legacy": always the legacy commands. */
  protocol?: "auto" | "legacy";
}

export interface ResolvedOptions {
  token: string | undefined;
  tlsCa: string | undefined;
  verifyHostname: boolean;
  requestTimeoutMs: number;
  connectTimeoutMs: number;
  reconnect: Required<ReconnectOptions> | null;
  retryInitialConnect: boolean;
  protocol: "auto" | "legacy";
}

export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_RECONNECT: Readonly<Required<ReconnectOptions>> = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 10_000,
  factor: 2,
  jitter: 0.2,
});

/** setTimeout cannot wait longer than this; larger values fire at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

function positiveMs(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value <= 0 || value > MAX_TIMER_MS) {
    throw new RangeError(`${name} must be a number of milliseconds from 1 to ${MAX_TIMER_MS}, not ${String(value)}`);
  }
  return value;
}

/** Validates options and fills in defaults. Throws RangeError/TypeError on a programming mistake. */
export function resolveOptions(options: ConnectOptions = {}): ResolvedOptions {
  if (typeof options !== "object" || options === null) throw new TypeError("connect options must be an object");
  const protocol = options.protocol ?? "auto";
  if (protocol !== "auto" && protocol !== "legacy") {
    throw new RangeError(`protocol must be "auto" or "legacy", not ${JSON.stringify(protocol)}`);
  }
  if (options.token !== undefined && typeof options.token !== "string") throw new TypeError("token must be a string");
  if (options.tlsCa !== undefined && (typeof options.tlsCa !== "string" || options.tlsCa.trim() === "")) {
    throw new TypeError("tlsCa must be a PEM file path or PEM text");
  }
  let reconnect: Required<ReconnectOptions> | null = null;
  if (options.reconnect === undefined || options.reconnect === true) {
    reconnect = { ...DEFAULT_RECONNECT };
  } else if (typeof options.reconnect === "object" && options.reconnect !== null) {
    const r = options.reconnect;
    reconnect = {
      initialDelayMs: positiveMs("reconnect.initialDelayMs", r.initialDelayMs, DEFAULT_RECONNECT.initialDelayMs),
      maxDelayMs: positiveMs("reconnect.maxDelayMs", r.maxDelayMs, DEFAULT_RECONNECT.maxDelayMs),
      factor: r.factor ?? DEFAULT_RECONNECT.factor,
      jitter: r.jitter ?? DEFAULT_RECONNECT.jitter,
    };
    if (!Number.isFinite(reconnect.factor) || reconnect.factor < 1) throw new RangeError("reconnect.factor must be at least 1");
    if (!Number.isFinite(reconnect.jitter) || reconnect.jitter < 0 || reconnect.jitter > 1) {
      throw new RangeError("reconnect.jitter must be between 0 and 1");
    }
    if (reconnect.maxDelayMs < reconnect.initialDelayMs) {
      throw new RangeError("reconnect.maxDelayMs must not be smaller than reconnect.initialDelayMs");
    }
  } else if (options.reconnect !== false) {
    throw new TypeError("reconnect must be true, false or an object");
  }
  const retryInitialConnect = options.retryInitialConnect ?? false;
  if (typeof retryInitialConnect !== "boolean") throw new TypeError("retryInitialConnect must be a boolean");
  if (retryInitialConnect && reconnect === null) throw new RangeError("retryInitialConnect needs reconnect: it retries by the reconnect policy");
  return {
    token: options.token,
    tlsCa: options.tlsCa,
    verifyHostname: options.verifyHostname ?? false,
    requestTimeoutMs: positiveMs("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS),
    connectTimeoutMs: positiveMs("connectTimeoutMs", options.connectTimeoutMs, DEFAULT_CONNECT_TIMEOUT_MS),
    reconnect,
    retryInitialConnect,
    protocol,
  };
}

/**
 * Exponential backoff with jitter and a cap: attempt n waits
 * min(max, initial × factor^(n-1)) spread by ±jitter, never above max.
 * Exported so that programs retrying the first connect() can use the same policy.
 */
export class Backoff {
  private attempts = 0;
  private readonly policy: Required<ReconnectOptions>;

  constructor(
    policy: ReconnectOptions = {},
    private readonly random: () => number = Math.random,
  ) {
    this.policy = { ...DEFAULT_RECONNECT, ...policy };
  }

  /** Number of delays handed out since the last reset. */
  get attempt(): number {
    return this.attempts;
  }

  /** The delay before the next attempt, in ms. */
  next(): number {
    this.attempts++;
    const { initialDelayMs, maxDelayMs, factor, jitter } = this.policy;
    const base = Math.min(maxDelayMs, initialDelayMs * factor ** (this.attempts - 1));
    const spread = 1 + jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(Math.min(maxDelayMs, base * spread)));
  }

  reset(): void {
    this.attempts = 0;
  }
}
