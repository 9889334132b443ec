// Types only: the shape definitions (TypeBox values) are at "@socktop/protocol/shapes", so
// that loading the protocol does not load TypeBox (agent start-up, browser bundles).
export type * from "./shapes/index.js";
export * from "./validate.js";
export * from "./requests.js";
export * from "./processes.js";
export * from "./gzip.js";
export * from "./version.js";
export * from "./system.js";
