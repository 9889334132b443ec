/**
 * The reconnection schedule of one connection: the one retry policy
 * (Backoff: exponential, jitter, cap), the pending timer, and the state a
 * program shows (attempt, next attempt time, last error), with `retryNow()`.
 * The connection says what happened (a link failed, a link worked); this
 * decides when the next attempt runs.
 */
import type { SocktopError } from "./errors.js";
import { Backoff, type ReconnectOptions } from "./options.js";

/** Where reconnection stands, for a banner with a countdown. A snapshot: read it again after an event. */
export interface ReconnectStatus {
  /** Attempts since a link last worked (the agent said something on it); 0 while it works. */
  readonly attempt: number;
  /** When the next attempt starts (ms since the epoch, as `Date.now()`); null when none is waiting. */
  readonly nextAttemptAt: number | null;
  /** True while an attempt is under way (dialling, TLS, upgrade, negotiation). */
  readonly attempting: boolean;
  /** Why the last link or attempt failed (`lastError.code` is the stable code); null once a link works again. */
  readonly lastError: SocktopError | null;
}

export class ReconnectSchedule {
  private readonly backoff: Backoff;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private nextAt: number | null = null;
  private running = false;
  private lastError: SocktopError | null = null;

  constructor(
    policy: ReconnectOptions,
    /** Runs one attempt: resolves to why it failed when the schedule should go on, else null (opened, or gave up). */
    private readonly attemptNow: () => Promise<SocktopError | null>,
    /** Told of each attempt scheduled, once the status shows it. */
    private readonly scheduled: (delayMs: number, attempt: number, error: SocktopError) => void,
    /** Told when a scheduled attempt starts (its delay ran out, or retryNow()), once the status shows it. */
    private readonly started: (attempt: number) => void = () => undefined,
    private readonly now: () => number = Date.now,
  ) {
    this.backoff = new Backoff(policy);
  }

  get status(): ReconnectStatus {
    return Object.freeze({
      attempt: this.backoff.attempt,
      nextAttemptAt: this.nextAt,
      attempting: this.running,
      lastError: this.lastError,
    });
  }

  /** A link worked: the next failure starts again from the initial delay. */
  worked(): void {
    this.backoff.reset();
    this.lastError = null;
  }

  /** A link or an attempt failed: schedules the next attempt. */
  failed(error: SocktopError): void {
    this.cancel();
    this.lastError = error;
    const delayMs = this.backoff.next();
    this.nextAt = this.now() + delayMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(true);
    }, delayMs);
    this.scheduled(delayMs, this.backoff.attempt, error);
  }

  /** Starts the waiting attempt now. False when none is waiting (open, closed, or one already under way). */
  retryNow(): boolean {
    if (this.timer === undefined) return false;
    this.cancel();
    void this.run(true);
    return true;
  }

  /** Starts an attempt with no wait (the first connection, when it is retried). */
  start(): void {
    void this.run(false);
  }

  cancel(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = null;
  }

  private async run(scheduled: boolean): Promise<void> {
    this.nextAt = null;
    this.running = true;
    // Without this a countdown would sit at 0 for as long as the attempt takes (up to the connect timeout).
    if (scheduled) this.started(this.backoff.attempt);
    let error: SocktopError | null;
    try {
      error = await this.attemptNow();
    } finally {
      this.running = false;
    }
    if (error !== null) this.failed(error);
  }
}
