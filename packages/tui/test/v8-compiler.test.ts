/** The TUI's V8 compiler option: TurboFan for a warm-up, off after it, unless the operator chose a compiler option. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const module = fileURLToPath(new URL("../src/v8-compiler.ts", import.meta.url));

/** Runs an ES module `script` in a child node (TypeScript sources, with `nodeOptions`); its stdout. */
function runChild(nodeOptions: string[], script: string): string {
  return execFileSync(process.execPath, ["--conditions=source", "--import", "tsx", ...nodeOptions, "--input-type=module", "-e", script], { encoding: "utf8" });
}

/**
 * Whether two hot functions end up compiled by TurboFan (V8's status bit 16)
 * in a child node with these options, with the TUI's tuning at a 300 ms
 * warm-up: `early` is made hot at once, `late` only after the warm-up.
 */
function optimisedIn(nodeOptions: string[], tune: boolean): { early: boolean; late: boolean } {
  const script = `
    const { tuneCompiler } = await import(${JSON.stringify(module)});
    if (${tune}) tuneCompiler(300);
    function early(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 7; return s; }
    function late(n) { let s = 0; for (let i = 0; i < n; i++) s += i % 5; return s; }
    for (let i = 0; i < 20000; i++) early(200);
    const earlyDone = %GetOptimizationStatus(early) & 16;
    await new Promise((r) => setTimeout(r, 600));
    for (let i = 0; i < 20000; i++) late(200);
    console.log(JSON.stringify({ early: Boolean(earlyDone), late: Boolean(%GetOptimizationStatus(late) & 16) }));`;
  return JSON.parse(runChild(["--allow-natives-syntax", ...nodeOptions], script)) as { early: boolean; late: boolean };
}

test("tuneCompiler keeps TurboFan for the warm-up and turns it off after", () => {
  assert.deepEqual(optimisedIn([], false), { early: true, late: true }, "control: both optimised without the TUI's option");
  assert.deepEqual(optimisedIn([], true), { early: true, late: false });
});

test("an operator who chose a compiler option keeps it", () => {
  assert.deepEqual(optimisedIn(["--turbofan"], true), { early: true, late: true });
  assert.deepEqual(optimisedIn(["--no-turbofan"], true), { early: false, late: false });
});

test("the warm-up's timer does not keep the process alive", () => {
  const started = Date.now();
  runChild([], `const { tuneCompiler } = await import(${JSON.stringify(module)}); tuneCompiler();`);
  assert.ok(Date.now() - started < 20_000, "exited long before the 60 s warm-up");
});
