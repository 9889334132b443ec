export * from "./types.js";
export * from "./details.js";
export * from "./requests.js";
export * from "./processes.js";
export * from "./gzip.js";
export * from "./version.js";
