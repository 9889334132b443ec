/**
 * Typed events with listeners isolated from the emitter: a listener that
 * throws is reported like an uncaught exception instead of breaking the
 * connection's bookkeeping halfway through a state change.
 */

function rethrowLater(error: unknown): void {
  // A throwing listener is the program's bug: report it like an uncaught
  // exception rather than lose it.
  setTimeout(() => {
    throw error;
  }, 0);
}

/** `Events`: event names to listener signatures (an interface such as ConnectionEvents). */
export class Emitter<Events extends { [E in keyof Events]: (...args: never[]) => void }> {
  private readonly listeners = new Map<keyof Events, Set<Events[keyof Events]>>();

  /** `events`: every event there is, so that a misspelt name is refused rather than never heard. */
  constructor(events: readonly (keyof Events & string)[]) {
    for (const event of events) this.listeners.set(event, new Set());
  }

  on<E extends keyof Events>(event: E, listener: Events[E]): () => void {
    const set = this.listeners.get(event);
    if (set === undefined) {
      const known = [...this.listeners.keys()].map((e) => JSON.stringify(e));
      throw new RangeError(`unknown event ${JSON.stringify(event)}: use ${known.slice(0, -1).join(", ")} or ${known.at(-1)}`);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
    };
  }

  emit<E extends keyof Events>(event: E, ...args: Parameters<Events[E]>): void {
    for (const listener of [...(this.listeners.get(event) ?? [])] as Array<(...a: Parameters<Events[E]>) => void>) {
      try {
        listener(...args);
      } catch (error) {
        rethrowLater(error);
      }
    }
  }
}
