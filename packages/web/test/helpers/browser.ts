/**
 * Debian's Chromium driven headless by playwright-core (no browser download:
 * `.ci/run` installs the `chromium` package), and agents to point it at.
 */
import { existsSync, mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import type { AgentConfig } from "../../../agent/src/config.js";
import type { AgentExtras, StartedAgent } from "../../../agent/src/agent.js";
import { startTestAgent } from "../../../agent/test/helpers/agent.js";

export const CHROMIUM = "/usr/bin/chromium";
/** Screenshots of the test run (not committed; docs/ holds chosen copies). */
export const OUTPUT_DIR = fileURLToPath(new URL("../../test-output/", import.meta.url));

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (.ci/run does)`);
  mkdirSync(OUTPUT_DIR, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
}

export type { StartedAgent };

export function startWebAgent(overrides: Partial<AgentConfig> = {}, extras: AgentExtras = {}): Promise<StartedAgent> {
  return startTestAgent({ web: true, ...overrides }, extras);
}

export function pageUrl(agent: StartedAgent): string {
  return `http://127.0.0.1:${agent.address.port}/`;
}

/** Collects what would make a page wrong without failing visibly: script errors and CSP violations. */
export function watchProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" && !/WebSocket connection to .* failed|Failed to load resource|net::ERR_CONNECTION_REFUSED/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  return problems;
}
