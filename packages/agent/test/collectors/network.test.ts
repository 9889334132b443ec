import { test } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { parseNetDev, readNetworksSync } from "../../src/collectors/network.js";

const fixture = new URL("../fixtures/proc-basic/", import.meta.url).pathname;

test("parseNetDev reads received and transmitted bytes per interface", async () => {
  const interfaces = parseNetDev(await readFile(`${fixture}net/dev`, "utf8"));
  assert.deepEqual(interfaces, [
    { name: "lo", received: 2776770, transmitted: 2776770 },
    // the counter touches the colon when it is wide
    { name: "eth0", received: 1234567890, transmitted: 987654321 },
    { name: "wlp2s0", received: 100, transmitted: 200 },
  ]);
});

test("parseNetDev skips headers, short and garbage lines", () => {
  assert.deepEqual(parseNetDev("Inter-|\n face |\neth0: 1 2 3\nbad: x 0 0 0 0 0 0 0 y\n"), []);
});

test("parseNetDev takes tabs and runs of blanks as separators and a last line without a newline", () => {
  assert.deepEqual(parseNetDev("  lo:\t5 0 0 0 0 0 0 0   6 0 0 0 0 0 0 0\r\n  br-x y: 7 1 1 1 1 1 1 1 8 1 1 1 1 1 1 1"), [
    { name: "lo", received: 5, transmitted: 6 },
    { name: "br-x y", received: 7, transmitted: 8 },
  ]);
});

test("missing /proc/net/dev gives no interfaces, not an error", async () => {
  assert.deepEqual(readNetworksSync("/nonexistent-proc"), []);
});

test("live: every interface Node sees is listed", async () => {
  const names = new Set(readNetworksSync().map((i) => i.name));
  for (const name of Object.keys(networkInterfaces())) assert.ok(names.has(name), `${name} listed`);
});
