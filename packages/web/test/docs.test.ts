/**
 * docs/web.md and the README's dashboard section: every command line in
 * them is a valid agent command (and the first one is run), the key table
 * is the page's own, and the screenshots they show exist and are PNGs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseCommand } from "../../agent/src/config.js";
import { WEB_KEY_TABLE } from "../src/keys.js";

const repo = fileURLToPath(new URL("../../../", import.meta.url));
const webDoc = readFileSync(`${repo}docs/web.md`, "utf8");
const readme = readFileSync(`${repo}README.md`, "utf8");

/** `ENV=x socktop_agent args…` lines of the sh blocks, comments dropped. */
function commands(markdown: string): Array<{ env: NodeJS.ProcessEnv; argv: string[]; line: string }> {
  const out: Array<{ env: NodeJS.ProcessEnv; argv: string[]; line: string }> = [];
  for (const block of markdown.matchAll(/```sh\n([\s\S]*?)```/g)) {
    for (const raw of block[1]!.split("\n")) {
      const line = raw.replace(/\s+#.*$/, "").trim();
      const words = line.split(/\s+/);
      const at = words.findIndex((w) => w === "socktop_agent" || w.endsWith("agent/dist/cli.cjs"));
      if (at < 0) continue;
      const env: NodeJS.ProcessEnv = {};
      for (const w of words.slice(0, at)) {
        const eq = w.indexOf("=");
        if (eq > 0) env[w.slice(0, eq)] = w.slice(eq + 1);
      }
      out.push({ env, argv: words.slice(at + 1), line });
    }
  }
  return out;
}

test("every agent command line in docs/web.md and the README's section parses, with the dashboard where it says so", () => {
  const section = readme.slice(readme.indexOf("## The web dashboard"), readme.indexOf("## The client library"));
  const all = [...commands(webDoc), ...commands(section)];
  assert.ok(all.length >= 5, `${all.length} command lines`);
  for (const { env, argv, line } of all) {
    const c = parseCommand(argv, env);
    assert.equal(c.kind, "run", line);
    if (c.kind !== "run") continue;
    if (argv.includes("--web") || env.SOCKTOP_WEB === "1") assert.equal(c.config.web, true, line);
    if (argv.includes("--allow-origin")) assert.match(c.config.allowedOrigins ?? "", /^http:\/\//, line);
  }
});

test("the first command of docs/web.md starts an agent that serves the page", async () => {
  const first = commands(webDoc)[0]!;
  // The documented port may be taken on a shared machine: ask for any free one.
  const argv = first.argv.map((a, i, list) => (list[i - 1] === "--port" ? "0" : a));
  const child = spawn(process.execPath, [`${repo}packages/agent/dist/cli.cjs`, ...argv], { env: { ...process.env, ...first.env }, stdio: ["ignore", "pipe", "pipe"] });
  try {
    let output = "";
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no start-up line: ${output}`)), 20_000);
      const on = (chunk: Buffer): void => {
        output += chunk.toString();
        const m = /bound to [^\s]*:(\d+)\)/.exec(output);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      };
      child.stdout.on("data", on);
      child.stderr.on("data", on);
    });
    assert.match(output, /web dashboard at http:\/\/127\.0\.0\.1:\d+\//);
    const page = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<div id="app">/);
  } finally {
    child.kill("SIGTERM");
  }
});

test("the key table of docs/web.md is the page's own", () => {
  const start = webDoc.indexOf("## Keys");
  const section = webDoc.slice(start, webDoc.indexOf("\n## ", start + 5));
  const rows = [...section.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)].map((m) => ({ keys: m[1], action: m[2] }));
  assert.deepEqual(rows, WEB_KEY_TABLE.map((k) => ({ keys: k.keys, action: k.action })));
});

test("the screenshots the docs show are committed PNGs", () => {
  const shown = new Set([...webDoc.matchAll(/\]\(([^)]+\.png)\)/g)].map((m) => `docs/${m[1]}`));
  for (const m of readme.matchAll(/\]\((docs\/[^)]+\.png)\)/g)) shown.add(m[1]!);
  assert.ok(shown.size >= 2);
  for (const file of shown) {
    const png = readFileSync(`${repo}${file}`);
    assert.equal(png.subarray(1, 4).toString(), "PNG", file);
    assert.ok(png.length > 20_000, `${file} is ${png.length} bytes`);
  }
});
