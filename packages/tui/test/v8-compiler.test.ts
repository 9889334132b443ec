/** The TUI's V8 compiler option: TurboFan off, unless the operator chose a compiler option. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const module = fileURLToPath(new URL("../src/v8-compiler.ts", import.meta.url));

/** Whether a hot function ends up compiled by TurboFan (V8's status bit 16) in a child node with these options. */
function optimisedIn(nodeOptions: string[], tune: boolean): boolean {
  const script = `
    const { tuneCompiler } = await import(${JSON.stringify(module)});
    if (${tune}) tuneCompiler();
    function hot(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
    for (let i = 0; i < 20000; i++) hot(200);
    console.log(%GetOptimizationStatus(hot) & 16 ? "yes" : "no");`;
  const out = execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", "--allow-natives-syntax", ...nodeOptions, "--input-type=module", "-e", script], { encoding: "utf8" });
  return out.trim() === "yes";
}

test("tuneCompiler turns TurboFan off, and leaves it to an operator who chose a compiler option", () => {
  assert.equal(optimisedIn([], false), true, "control: optimised without the TUI's option");
  assert.equal(optimisedIn([], true), false);
  assert.equal(optimisedIn(["--turbofan"], true), true, "the operator's --turbofan wins");
});
