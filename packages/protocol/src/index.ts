export * from "./shapes/index.js";
export * from "./validate.js";
export * from "./requests.js";
export * from "./processes.js";
export * from "./gzip.js";
export * from "./version.js";
