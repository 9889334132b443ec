/**
 * Data that may be at hand: the value itself, or a promise of it when its
 * source must wait (a collector's data, a cache's value, a reply). Most of
 * fast metrics is read at once from kept /proc files; a promise for each of
 * them cost a watched agent ~5 kB of garbage and a dozen microtask turns per
 * request (seven collectors, each through the registry), for values that
 * were there all along.
 */
export type Collected<T> = T | Promise<T>;

/** Whether the data is still to come. */
export function isPending<T>(collected: Collected<T>): collected is Promise<T> {
  return collected instanceof Promise;
}

/** `then` for data that may have come at once: `use` is applied now, or when the data comes. */
export function whenCollected<T, R>(collected: Collected<T>, use: (value: T) => R): Collected<R> {
  return isPending(collected) ? collected.then(use) : use(collected);
}
