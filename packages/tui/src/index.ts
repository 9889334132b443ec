/**
 * socktop's terminal UI as a library: the pieces the CLI is built from, for
 * tests, benchmarks and the process details view.
 */
export { App, type AppOptions, type DetailsContext, type DetailsView, type DetailsViewFactory } from "./app.js";
export { ArgError, helpText, normalizeUrl, parseArgs, USAGE, type Command, type RunOptions } from "./args.js";
export { asAgentClient, connectorSource, type ConnectorSourceOptions } from "./connector-source.js";
export { agentCliPath, checkPortFree, DEMO_HOST, DEMO_PORT, DemoError, startDemoAgent, type DemoAgent } from "./demo.js";
export * from "./details-state.js";
export { computeDetailsLayout, type DetailsLayout } from "./details-layout.js";
export { renderDetails, type DetailsRenderOptions } from "./details-render.js";
export { DETAILS_INTERVAL_MS, detailsViewFactory, JOURNAL_INTERVAL_MS, ProcessDetailsView, type DetailsViewOptions } from "./details-view.js";
export * from "./format.js";
export { FLEET_FRAME_MS, FleetApp, type FleetAppOptions } from "./fleet-app.js";
export { FrameWriter, type FrameStats } from "./frame-writer.js";
export { renderFleet, useCards, type FleetLayout, type FleetRenderContext } from "./fleet-render.js";
export * from "./fleet-state.js";
export * from "./host-summary.js";
export { queryHost, runStatus, parseStatusArgs, formatLines, formatOneLine, type StatusOptions } from "./status.js";
export { HostStatusSchema, statusSchemaJson, type HostStatus } from "./status-schema.js";
export * from "./targets.js";
export { CGROUPS_KEY_TABLE, DETAILS_KEY_TABLE, FLEET_KEY_TABLE, helpSections, KEY_TABLE, keyTableText, type HelpSection, type KeyHelp } from "./keys.js";
export { computeLayout, type Layout, type TableColumn } from "./layout.js";
export { planRun, type Plan, type PlanIO } from "./plan.js";
export * from "./profiles.js";
export { renderFrame, type Overlay } from "./render.js";
export { box, drawBar, drawSparkline, scrollThumb, titleLine, vline, wrap, type RenderContext } from "./widgets.js";
export { run, type RunExtras } from "./run.js";
export * from "./screen.js";
export * from "./session.js";
export * from "./state.js";
export { checkTerminalSize, openTerminal, RESTORE_SEQUENCE, TerminalError, type MouseInput, type TerminalIO } from "./terminal.js";
export { InputDecoder, type InputEvent } from "./input.js";
export { describeConnectionError, type ConnectionMessage, type LinkContext } from "./connection-messages.js";
export { colorEnabled, createTheme, journalStyle, levelStyle, type Theme } from "./theme.js";
export { VERSION } from "./version.js";
