import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultBackend, journalUnavailable } from "../../src/backend-choice.js";
import { ConfigError, parseCommand } from "../../src/config.js";
import { createDetailsHandlers } from "../../src/details-handlers.js";
import { silentLogger } from "../../src/log.js";
import type { Session } from "../../src/handler.js";
import { parseRequest } from "@socktop/protocol";

test("backend: linux on Linux, portable elsewhere; SOCKTOP_AGENT_BACKEND chooses; anything else is one clear error", () => {
  assert.equal(defaultBackend("linux"), "linux");
  for (const platform of ["darwin", "win32", "freebsd"] as const) assert.equal(defaultBackend(platform), "portable");
  const backendOf = (value: string | undefined) => {
    const command = parseCommand([], value === undefined ? {} : { SOCKTOP_AGENT_BACKEND: value });
    assert.equal(command.kind, "run");
    return command.kind === "run" ? command.config.backend : null;
  };
  assert.equal(backendOf(undefined), "linux");
  assert.equal(backendOf("portable"), "portable");
  assert.equal(backendOf(" Portable "), "portable");
  assert.throws(() => parseCommand([], { SOCKTOP_AGENT_BACKEND: "bsd" }), (e: unknown) => e instanceof ConfigError && /expected linux or portable/.test(e.message));
});

test("journal on a platform without systemd: a typed UNAVAILABLE error naming the platform", async () => {
  const handlers = createDetailsHandlers({ log: silentLogger, journalSource: journalUnavailable("darwin") });
  const request = parseRequest(`get_journal_entries:${process.pid}`);
  assert.equal(request.kind, "journal_entries");
  if (request.kind !== "journal_entries") return;
  const session: Session = { protocol: 1 };
  const handler = handlers.extraHandlers.journal_entries;
  assert.ok(handler !== undefined);
  const reply = await handler(request, session);
  const text = Buffer.isBuffer(reply.data) ? reply.data.toString() : String(reply.data);
  assert.match(text, /only available on Linux.*darwin/);
  assert.match(text, /"request":"get_journal_entries"/);
});
