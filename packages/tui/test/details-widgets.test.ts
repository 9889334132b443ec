/** Helpers of the details view's sections (details-widgets.ts). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { commandRows, flowItems } from "../src/details-widgets.js";

test("layout helpers: items flow onto rows and paths lose their start; long commands are cut with …", () => {
  const rows = flowItems(
    [
      { label: "user", value: "alice (1000)" },
      { label: "parent", value: "1" },
      { label: "cwd", value: "/a/very/long/path/to/somewhere/deep", path: true },
    ],
    30,
    2,
  );
  assert.deepEqual(rows.map((r) => r.map((i) => `${i.x}:${i.label} ${i.value}`)), [["0:user alice (1000)", "19:parent 1"], ["0:cwd …ng/path/to/somewhere/deep"]]);
  assert.deepEqual(commandRows("abcdefghij", 4, 5), ["abcd", "efgh", "ij"]);
  assert.deepEqual(commandRows("abcdefghij", 4, 2), ["abcd", "efg…"]);
  assert.deepEqual(commandRows("abcdefgh", 4, 1), ["abc…"]);
});
