import { createRequire } from "node:module";

// Read at run time so the version lives in one place (package.json), whether
// this file runs from src/ (tests) or dist/ (installed): both sit one level below it.
const manifest = createRequire(import.meta.url)("../package.json") as { version: string };

export const AGENT_VERSION: string = manifest.version;
export const AGENT_NAME = "socktop_agent";
