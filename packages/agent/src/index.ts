export { startAgent, type StartedAgent, type AgentExtras } from "./agent.js";
export { parseCommand, ConfigError, type AgentConfig, type Command } from "./config.js";
export { AgentServer, type Admission, type Refusal } from "./server.js";
export { RequestHandler, CAPABILITIES, type Session } from "./handler.js";
export { MetricsSources, type MetricsSnapshot } from "./sources.js";
export { TtlCache, KeyedTtlCache } from "./cache.js";
export { createLogger, silentLogger, type Logger } from "./log.js";
export { AGENT_NAME, AGENT_VERSION } from "./version.js";
