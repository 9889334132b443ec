/** The command-line rule shared by socktop_agent and socktop. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { CommandLineError, parseCommandLine } from "../src/cli-args.js";

const OPTIONS = {
  flag: { type: "boolean", short: "f" },
  name: { type: "string", short: "n" },
  many: { type: "string", multiple: true },
} as const;

function refusal(argv: string[], settings?: { allowPositionals?: boolean }): string {
  try {
    parseCommandLine(argv, OPTIONS, settings);
  } catch (error) {
    assert.ok(error instanceof CommandLineError, String(error));
    assert.ok(!error.message.includes("\n"));
    return error.message;
  }
  assert.fail(`accepted: ${argv.join(" ")}`);
}

test("accepted lines: long, short, inline values, repeats of a multiple option, positionals", () => {
  const r = parseCommandLine(["-f", "--name=x", "--many", "a", "--many=b", "pos", "--", "--flag"], OPTIONS);
  assert.equal(r.values.flag, true);
  assert.equal(r.values.name, "x");
  assert.deepEqual(r.values.many, ["a", "b"]);
  assert.deepEqual(r.positionals, ["pos", "--flag"]);
  assert.equal(parseCommandLine(["-nvalue"], OPTIONS).values.name, "value");
  assert.equal(parseCommandLine(["--name=-dash"], OPTIONS).values.name, "-dash");
});

test("a switch given a value is refused, never inverted or turned on", () => {
  assert.equal(refusal(["--flag=false"]), "--flag takes no value");
  assert.equal(refusal(["--flag=0"]), "--flag takes no value");
  assert.equal(refusal(["--flag="]), "--flag takes no value");
});

test("unknown options, missing values, repeats and stray positionals: one line each", () => {
  assert.equal(refusal(["--x"]), "unknown option '--x' (see --help)");
  assert.equal(refusal(["--x=1"]), "unknown option '--x' (see --help)");
  assert.equal(refusal(["-fz"]), "unknown option '-z' (see --help)");
  assert.equal(refusal(["--name"]), "--name needs a value");
  assert.equal(refusal(["--name", "--flag"]), "--name needs a value");
  assert.equal(refusal(["-n", "-5"]), "-n needs a value");
  assert.equal(refusal(["--name", "a", "-n", "b"]), "-n may be given only once");
  assert.equal(refusal(["pos"], { allowPositionals: false }), "unexpected argument 'pos' (see --help)");
});
