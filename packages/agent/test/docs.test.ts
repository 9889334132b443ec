/** Every example in the docs runs: the example clients against a live agent, and each documented request frame. */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync, existsSync } from "node:fs";
import { cp, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { StartedAgent } from "../src/agent.js";
import { TestClient, json, startTestAgent, unzip, wsUrl } from "./helpers/agent.js";

const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const protocolDoc = readFileSync(`${repo}docs/protocol.md`, "utf8");

let agent: StartedAgent;
before(async () => {
  agent = await startTestAgent();
});
after(() => agent.close());

const hasPython = existsSync("/usr/bin/python3");

test("docs/examples/node-client.cjs polls and exits", async () => {
  const stdout = await runExample("node", agent);
  assert.match(stdout, /^Connected to socktop_agent$/m);
  assert.equal(stdout.match(/^CPU: [\d.]+%, Memory: [\d.]+% on /gm)?.length, 2);
  assert.equal(stdout.match(/^Disks: \S/gm)?.length, 2);
  assert.equal(stdout.match(/^Processes: \d+, busiest: /gm)?.length, 2);
  assert.match(stdout, /^Disconnected from socktop_agent$/m);
});

test("docs/examples/python-client.py polls and exits", { skip: !hasPython && "no /usr/bin/python3" }, async () => {
  const stdout = await runExample("python", agent);
  assert.match(stdout, /^Connected to socktop_agent$/m);
  assert.equal(stdout.match(/^CPU: [\d.]+%, Memory: [\d.]+%$/gm)?.length, 2);
  assert.equal(stdout.match(/^Processes: \d+ bytes/gm)?.length, 2);
});

test("the example clients survive null memory fields and an empty process list", async (t) => {
  const procRoot = await mkdtemp(join(tmpdir(), "socktop-docs-"));
  await cp(fileURLToPath(new URL("./fixtures/proc-basic/", import.meta.url)), procRoot, { recursive: true });
  await rm(join(procRoot, "meminfo"));
  // The Linux backend whatever the pass: only it reads --proc-root (the portable pass would serve the live machine).
  const blind = await startTestAgent({ procRoot, backend: "linux" });
  t.after(async () => {
    await blind.close();
    await rm(procRoot, { recursive: true, force: true });
  });
  const node = await runExample("node", blind);
  assert.equal(node.match(/^CPU: [\d.]+%, Memory: unknown on /gm)?.length, 2);
  assert.equal(node.match(/^Processes: 0, busiest: none$/gm)?.length, 2);
  if (hasPython) assert.equal((await runExample("python", blind)).match(/^CPU: [\d.]+%, Memory: unknown$/gm)?.length, 2);
});

/** Runs one of docs/examples against an agent for two polls; its standard output. */
async function runExample(which: "node" | "python", target: StartedAgent): Promise<string> {
  const [command, file] = which === "node" ? [process.execPath, "node-client.cjs"] : ["/usr/bin/python3", "python-client.py"];
  const { stdout } = await run(command, [`${repo}docs/examples/${file}`, wsUrl(target), "2"], { timeout: 20_000 });
  return stdout;
}

/** The fenced blocks of one section of a Markdown document. */
function blocks(markdown: string, heading: string, language: string): string[] {
  const start = markdown.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `section ${heading}`);
  const end = markdown.indexOf("\n## ", start + heading.length + 2);
  const section = markdown.slice(start, end < 0 ? undefined : end);
  const pattern = new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g");
  return [...section.matchAll(pattern)].map((m) => (m[1] ?? "").trim());
}

const PORTABLE = process.env.SOCKTOP_AGENT_BACKEND === "portable";

test("every request frame in docs/protocol.md is understood by the agent", async () => {
  const frames = [...blocks(protocolDoc, "## Requests", "json"), ...blocks(protocolDoc, "## Requests", "text")];
  assert.equal(frames.length, 19);
  const client = await TestClient.connect(wsUrl(agent));
  try {
    for (const frame of frames) {
      const reply = await client.request(frame);
      const raw = unzip(reply);
      if (raw[0] !== 0x7b && raw[0] !== 0x5b) continue; // protobuf process list
      const value = json<Record<string, unknown>>(reply);
      if (frame.includes("pid") || frame.includes(":1")) {
        // pid 1 exists; details may still be refused (no journal here), but only as an error about that pid
        if ("error" in value) assert.equal(value.pid, 1, `${frame}: ${String(value.error)}`);
      } else if (PORTABLE && /"(load|disk_io)"|get_(load|disk_io)/.test(frame)) {
        // The portable backend (other platforms) has no load or per-disk I/O source: a precise error.
        if ("error" in value) assert.match(String(value.error), /portable backend does not provide/);
      } else {
        assert.ok(!("error" in value), `${frame} answered ${JSON.stringify(value)}`);
      }
    }
  } finally {
    await client.close();
  }
});

test("the reply examples in docs/protocol.md are valid JSON with the documented keys", async () => {
  const examples = blocks(protocolDoc, "## Replies", "json").map((b) => JSON.parse(b) as unknown);
  assert.ok(examples.length >= 5);
  const seed = examples[0] as Record<string, unknown>;
  const live = json<Record<string, unknown>>(await (async () => {
    const c = await TestClient.connect(wsUrl(agent));
    try {
      return await c.request('{"type":"metrics"}');
    } finally {
      await c.close();
    }
  })());
  assert.deepEqual(Object.keys(seed).sort(), Object.keys(live).sort(), "documented metrics keys are the live keys");
  const legacy = examples[1] as Record<string, unknown>;
  for (const key of ["cpu_total", "cpu_per_core", "mem_total", "mem_used", "swap_total", "swap_used", "hostname", "disks", "networks", "top_processes"]) {
    assert.ok(key in legacy, `legacy example has ${key}`);
  }
});

test("docs/security.md and the README name every address in the generated certificate, and the README one URL for npm start", async () => {
  const { X509Certificate } = await import("node:crypto");
  const { mkdtemp, rm } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const { ensureCertificate } = await import("../src/tls/certificate.js");
  const dir = await mkdtemp(join(tmpdir(), "socktop-docs-san-"));
  try {
    const material = await ensureCertificate({ dir, hostname: "docs-host", log: () => {} });
    const sans = (new X509Certificate(material.cert).subjectAltName ?? "").split(", ");
    const ips = sans.filter((s) => s.startsWith("IP Address:")).map((s) => s.slice("IP Address:".length).replace(/^0:0:0:0:0:0:0:1$/, "::1"));
    assert.deepEqual([...ips].sort(), ["0.0.0.0", "127.0.0.1", "::1"]);
    assert.ok(sans.includes("DNS:localhost"));
    const security = readFileSync(`${repo}docs/security.md`, "utf8");
    const readme = readFileSync(`${repo}README.md`, "utf8");
    for (const name of [...ips, "localhost"]) {
      assert.ok(security.includes(`\`${name}\``), `docs/security.md names ${name}`);
      assert.ok(readme.includes(`\`${name}\``), `README names ${name}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  const readme = readFileSync(`${repo}README.md`, "utf8");
  assert.doesNotMatch(readme, /ws:\/\/0\.0\.0\.0:/, "the agent prints ws://localhost:PORT/ws for 0.0.0.0: the README says the same");
});
