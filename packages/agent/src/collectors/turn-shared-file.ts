/**
 * A /proc file read at most once per turn of the event loop, its text shared
 * by every collector that asks for it in that turn.
 *
 * Why: a fast-metrics request runs its collectors together (sources.ts starts
 * them all in one Promise.all, and each reads its files before its first
 * await), and two of them read /proc/stat: the CPU collector for its cpu
 * lines, the process count for total_forks. One read serves both, so both see
 * the same snapshot, and the kernel renders the file (every core, every
 * interrupt counter) once per request instead of twice.
 *
 * The text is dropped in a microtask, before anything else in the process can
 * run: a later request, or a collector asking after an await, reads the file
 * afresh. Nothing is kept between requests and no timer runs.
 */
import type { KeptProcFile } from "./kept-proc-file.js";

/** What a collector needs of a /proc file: its text now, or null when absent. */
export interface ProcTextSource {
  readonly path: string;
  /** Whether the descriptor is kept between reads (a real procfs, not a fixture tree). */
  readonly kept: boolean;
  read(): string | null;
  close(): void;
}

/**
 * Settled once; each `then` on it queues one microtask. Not queueMicrotask,
 * which creates an AsyncResource per call (2-4x the cost, measured on Node 20).
 */
const DONE = Promise.resolve();

export class TurnSharedFile implements ProcTextSource {
  private text: string | null | undefined;
  private readonly forget = (): void => {
    this.text = undefined;
  };

  constructor(private readonly file: KeptProcFile) {}

  get path(): string {
    return this.file.path;
  }

  get kept(): boolean {
    return this.file.kept;
  }

  /** The file's text as first read in this turn; a read that throws is not shared. */
  read(): string | null {
    if (this.text === undefined) {
      this.text = this.file.read();
      void DONE.then(this.forget);
    }
    return this.text;
  }

  close(): void {
    this.file.close();
  }
}
