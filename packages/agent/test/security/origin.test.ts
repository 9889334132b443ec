import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { invalidAllowedOrigins, isOriginAllowed, normalizeOrigin, parseAllowedOrigins } from "../../src/security/origin.js";

function upgrade(headers: Record<string, string>): IncomingMessage {
  return { url: "/ws", headers } as unknown as IncomingMessage;
}

test("parseAllowedOrigins: normalised scheme://host[:port], default ports dropped", () => {
  assert.deepEqual(parseAllowedOrigins(undefined), []);
  assert.deepEqual(parseAllowedOrigins(""), []);
  assert.deepEqual(
    parseAllowedOrigins(" HTTPS://Dash.Example.COM:443/ ,http://localhost:8080, http://LOCALHOST:80,https://dash.example.com,http://[::1]:3000"),
    ["https://dash.example.com", "http://localhost:8080", "http://localhost", "http://[::1]:3000"],
  );
  assert.deepEqual(parseAllowedOrigins("*"), ["*"]);
  assert.deepEqual(parseAllowedOrigins("chrome-extension://abcdefgh"), ["chrome-extension://abcdefgh"]);
});

test("parseAllowedOrigins: entries that are not origins are dropped; invalidAllowedOrigins lists them", () => {
  const value = "example.com, https://ok.example, null, https://user:pw@x.example, ,not a url";
  assert.deepEqual(parseAllowedOrigins(value), ["https://ok.example"]);
  assert.deepEqual(invalidAllowedOrigins(value), ["example.com", "null", "https://user:pw@x.example", "not a url"]);
  assert.deepEqual(invalidAllowedOrigins("https://a.example,*"), []);
});

test("normalizeOrigin", () => {
  assert.equal(normalizeOrigin("http://Example.com:80"), "http://example.com");
  assert.equal(normalizeOrigin("https://example.com:8443/path?q#f"), "https://example.com:8443");
  assert.equal(normalizeOrigin("null"), null);
  assert.equal(normalizeOrigin(""), null);
});

test("no Origin header (CLI tools, the TUI) is allowed", () => {
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000" }), []), true);
  assert.equal(isOriginAllowed(upgrade({}), []), true);
});

test("same origin: the page was served by the host the browser is talking to", () => {
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:3000", origin: "http://agent.lan:3000" }), []), true);
  assert.equal(isOriginAllowed(upgrade({ host: "Agent.LAN:3000", origin: "http://agent.lan:3000" }), []), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:8443", origin: "https://agent.lan:8443" }), []), true);
  assert.equal(isOriginAllowed(upgrade({ host: "127.0.0.1:3000", origin: "http://127.0.0.1:3000" }), []), true);
  assert.equal(isOriginAllowed(upgrade({ host: "[::1]:3000", origin: "http://[::1]:3000" }), []), true);
  // Default ports: written on one side only.
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan", origin: "https://agent.lan" }), []), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:443", origin: "https://agent.lan" }), []), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan", origin: "http://agent.lan:80" }), []), true);
});

test("same host but another port, or another host, is cross-origin", () => {
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:3000", origin: "http://agent.lan:8080" }), []), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:3000", origin: "http://agent.lan" }), []), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan", origin: "http://agent.lan:443" }), []), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:3000", origin: "http://evil.example:3000" }), []), false);
  assert.equal(isOriginAllowed(upgrade({ host: "localhost:3000", origin: "https://evil.example" }), []), false);
  assert.equal(isOriginAllowed(upgrade({ origin: "http://agent.lan:3000" }), []), false, "no Host header");
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:3000@evil", origin: "http://agent.lan:3000" }), []), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent.lan:3000", origin: "ftp://agent.lan:3000" }), []), false);
});

test("origins in the allow list are allowed, normalised on both sides", () => {
  const allowed = parseAllowedOrigins("https://dash.example.com,http://localhost:5173");
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "https://dash.example.com" }), allowed), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "https://DASH.example.com:443" }), allowed), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "http://localhost:5173" }), allowed), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "http://dash.example.com" }), allowed), false, "scheme matters in the list");
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "https://dash.example.com.evil.example" }), allowed), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "http://localhost:5174" }), allowed), false);
  // A list not built by parseAllowedOrigins still compares normalised.
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "https://dash.example.com" }), ["HTTPS://Dash.Example.com:443"]), true);
});

test("\"*\" allows any origin, opaque ones included", () => {
  const allowed = parseAllowedOrigins("*");
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "https://anything.example" }), allowed), true);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "null" }), allowed), true);
});

test("\"null\" and malformed origins are refused", () => {
  const allowed = parseAllowedOrigins("https://dash.example.com");
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "null" }), allowed), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "null" }), ["null"]), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "" }), allowed), false);
  assert.equal(isOriginAllowed(upgrade({ host: "agent:3000", origin: "not a url" }), allowed), false);
  assert.equal(
    isOriginAllowed(upgrade({ host: "agent:3000", origin: "https://dash.example.com, https://evil.example" }), allowed),
    false,
    "two Origin headers joined",
  );
});
