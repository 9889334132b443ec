/**
 * The published form, as a user gets it: `npm run pack`'s tarballs hold only what runs;
 * `npm install -g --prefix <tmp>` of them puts working `socktop_agent` and `socktop` on
 * PATH (used from a directory outside the repository); the connector installs into a
 * scratch project, where its README quick start type-checks and runs unchanged.
 *
 * The agent in the quick start dials localhost:3000 and `socktop --demo` uses 3231:
 * both run in a network namespace of their own (unshare, as root) so that the ports
 * named in the docs are used as written without colliding with anything else here.
 *
 * npm's cache lives in node_modules/.cache (kept between runs, empty in a fresh clone):
 * registry dependencies are downloaded once, later installs are offline-fast.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import WebSocket from "ws";
import { PACKAGES, ROOT, packAll } from "../../../../scripts/pack.mjs";

const run = promisify(execFile);
const CACHE = join(ROOT, "node_modules", ".cache", "socktop-install-test", "npm");
const NPM_FLAGS = ["--cache", CACHE, "--prefer-offline", "--no-audit", "--no-fund", "--loglevel=error", "--update-notifier=false"];
const TSX_VERSION = (JSON.parse(await readFile(join(ROOT, "node_modules", "tsx", "package.json"), "utf8")) as { version: string }).version;
const NETNS = spawnSync("unshare", ["--net", "sh", "-c", "ip link set lo up"], { stdio: "ignore" }).status === 0;
const HAVE_TMUX = spawnSync("tmux", ["-V"], { stdio: "ignore" }).status === 0;
const NO_NETNS = "needs `unshare --net` (root) and `ip` to use the documented ports 3000/3231 without colliding";

interface Packed {
  name: string;
  version: string;
  dir: string;
  file: string;
  size: number;
  files: string[];
}
interface Manifest {
  name: string;
  version: string;
  main?: string;
  types?: string;
  bin?: Record<string, string>;
  exports?: unknown;
  files?: string[];
  engines?: { node?: string };
  repository?: { type: string; url: string; directory?: string };
  keywords?: string[];
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

let work: string;
let packed: Packed[];
let prefix: string;
let outside: string;
let scratch: string;
const timings: Record<string, number> = {};

/** The environment of a user's shell with the install's bin first on PATH, and nothing of the test runner's. */
function userEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${join(prefix, "bin")}:${process.env.PATH ?? ""}`, SOCKTOP_TOKEN: "" };
  delete env.NODE_OPTIONS;
  delete env.NODE_PATH;
  delete env.NODE_TEST_CONTEXT;
  return env;
}

async function timed<T>(label: string, f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    timings[label] = Math.round(performance.now() - t0);
  }
}

const tarball = (dir: string): Packed => {
  const p = packed.find((x) => x.dir === dir);
  assert.ok(p, `no tarball for packages/${dir}`);
  return p;
};

async function manifestOf(p: Packed): Promise<Manifest> {
  const { stdout } = await run("tar", ["-xzOf", p.file, "package/package.json"]);
  return JSON.parse(stdout) as Manifest;
}

before(async () => {
  work = await mkdtemp(join(tmpdir(), "socktop-install-"));
  prefix = join(work, "global");
  outside = join(work, "home");
  scratch = join(work, "scratch");
  await Promise.all([mkdir(outside), mkdir(scratch), mkdir(CACHE, { recursive: true })]);
  packed = await timed("pack", async () => packAll({ outDir: join(work, "tarballs") }));
  const all = PACKAGES.map((dir) => tarball(dir).file);
  // The global install and the scratch project share the cache and run side by side.
  await timed("installs", () =>
    Promise.all([
      timed("npm install -g", () => run("npm", ["install", "-g", "--prefix", prefix, ...NPM_FLAGS, ...all], { cwd: outside, env: userEnv() })),
      timed("scratch project", async () => {
        await run("npm", ["init", "-y"], { cwd: scratch });
        await run("npm", ["pkg", "set", "type=module"], { cwd: scratch });
        await run("npm", ["install", ...NPM_FLAGS, tarball("protocol").file, tarball("connector").file, `tsx@${TSX_VERSION}`], { cwd: scratch });
      }),
    ]),
  );
}, { timeout: 300_000 });

after(async () => {
  process.stderr.write(`install test timings (ms): ${JSON.stringify(timings)}\n`);
  if (work) await rm(work, { recursive: true, force: true });
});

describe("tarballs", () => {
  test("one per package, each holding only what runs", async () => {
    assert.deepEqual(packed.map((p) => p.dir).sort(), [...PACKAGES].sort());
    for (const p of packed) {
      const where = `${p.name} (${p.file})`;
      for (const must of ["package.json", "LICENSE", "README.md", "CHANGELOG.md", "dist/index.js", "dist/index.d.ts"]) {
        assert.ok(p.files.includes(must), `${where} lacks ${must}`);
      }
      for (const f of p.files) {
        assert.doesNotMatch(f, /(^|\/)(test|tests|__tests__|fixtures|src|node_modules|\.cache)\//, `${where} ships ${f}`);
        assert.doesNotMatch(f, /\.(test|spec)\.[cm]?[jt]s$|\.map$|\.tsbuildinfo$|\.tgz$|(^|\/)tsconfig[^/]*\.json$/, `${where} ships ${f}`);
        assert.ok(!f.endsWith(".ts") || f.endsWith(".d.ts"), `${where} ships TypeScript source ${f}`);
      }
      // The agent ships the built browser dashboard (dist/web, ~95 KiB gzip of page assets).
      const budget = p.dir === "agent" ? 320 * 1024 : 200 * 1024;
      assert.ok(p.size < budget, `${where} is ${p.size} bytes (budget ${budget})`);
    }
    const protocol = tarball("protocol").files;
    assert.ok(protocol.includes("proto/processes.proto"));
    assert.ok(protocol.filter((f) => /^schemas\/[\w-]+\.schema\.json$/.test(f)).length >= 5, "protocol ships its JSON Schemas");
  });

  test("no shipped file points at a source map or a file that is not shipped", async () => {
    for (const p of packed) {
      const { stdout } = await run("tar", ["-xzOf", p.file, ...p.files.filter((f) => f.endsWith(".js") || f.endsWith(".d.ts")).map((f) => `package/${f}`)], {
        maxBuffer: 32 << 20,
      });
      assert.doesNotMatch(stdout, /sourceMappingURL/, `${p.name} references source maps`);
      // Every relative import of the compiled code is shipped (stale or excluded files would break at run time).
      const dist = new Set(p.files);
      for (const f of p.files.filter((x) => x.endsWith(".js"))) {
        const { stdout: js } = await run("tar", ["-xzOf", p.file, `package/${f}`]);
        for (const m of js.matchAll(/(?:from\s*|import\s*\(\s*)["'](\.{1,2}\/[^"']+)["']/g)) {
          const target = join(f, "..", m[1]!);
          assert.ok(dist.has(target), `${p.name}: ${f} imports ${m[1]}, which is not in the tarball`);
        }
      }
    }
  });

  test("manifests: exports, types, bin, engines, files, repository, keywords; no scripts, no dev dependencies", async () => {
    const versions = new Map(packed.map((p) => [p.name, p.version]));
    for (const p of packed) {
      const m = await manifestOf(p);
      const where = p.name;
      assert.equal(m.engines?.node, ">=20", `${where} engines`);
      assert.equal(m.scripts, undefined, `${where} has scripts (a prepare/install script would run in the consumer)`);
      assert.equal(m.devDependencies, undefined, `${where} lists devDependencies`);
      assert.equal(m.repository?.type, "git");
      assert.match(m.repository?.url ?? "", /^git\+https:\/\/.+\.git$/);
      assert.equal(m.repository?.directory, `packages/${p.dir}`);
      assert.ok((m.keywords ?? []).includes("socktop"), `${where} keywords`);
      assert.ok(Array.isArray(m.files) && m.files.includes("dist"));
      assert.doesNotMatch(JSON.stringify(m.exports), /"source"|\.\/src\//, `${where} exports name unshipped sources`);
      // Every path the manifest names exists in the tarball.
      const targets = (node: unknown): string[] =>
        typeof node === "string" ? [node] : node !== null && typeof node === "object" ? Object.values(node).flatMap(targets) : [];
      const named = [m.main, m.types, ...Object.values(m.bin ?? {}), ...targets(m.exports)].filter((x): x is string => typeof x === "string");
      for (const path of named.filter((x) => !x.includes("*"))) {
        assert.ok(p.files.includes(path.replace(/^\.\//, "")), `${where} names ${path}, which is not in the tarball`);
      }
      for (const [dep, range] of Object.entries(m.dependencies ?? {})) {
        if (versions.has(dep)) assert.equal(range, versions.get(dep), `${where} depends on ${dep}@${range}, packed is ${versions.get(dep)}`);
      }
    }
    assert.deepEqual((await manifestOf(tarball("agent"))).bin, { socktop_agent: "./dist/cli.cjs" });
    assert.deepEqual((await manifestOf(tarball("tui"))).bin, { socktop: "./dist/cli.js" });
    assert.ok((await manifestOf(tarball("tui"))).dependencies?.["@socktop/agent"], "socktop --demo needs the agent package");
  });

  test("the install commands in the READMEs name the tarballs npm run pack writes; the systemd unit runs the installed command", async () => {
    const names = new Set(packed.map((p) => p.file.split("/").pop()));
    let seen = 0;
    for (const readme of ["README.md", "packages/agent/README.md", "packages/tui/README.md", "packages/connector/README.md"]) {
      const text = await readFile(join(ROOT, readme), "utf8");
      for (const m of text.matchAll(/\.\/(socktop-[\w-]+-\d+\.\d+\.\d+\.tgz)/g)) {
        seen++;
        assert.ok(names.has(m[1]!), `${readme} names ${m[1]}; npm run pack writes ${[...names].join(", ")}`);
      }
    }
    assert.ok(seen >= 8, "the READMEs show the tarball install");
    const unit = await readFile(join(ROOT, "docs", "socktop-agent.service"), "utf8");
    assert.match(unit, /^ExecStart=\/\S+\/bin\/socktop_agent --port 3000$/m, "the unit starts the installed socktop_agent");
  });
});

describe("npm install -g of the tarballs", () => {
  test("socktop_agent --version and socktop --version from a directory outside the repository", async () => {
    assert.ok(existsSync(join(prefix, "bin", "socktop_agent")) && existsSync(join(prefix, "bin", "socktop")));
    const agent = await run("socktop_agent", ["--version"], { cwd: outside, env: userEnv() });
    const version = (await manifestOf(tarball("agent"))).version;
    assert.equal(agent.stdout, `socktop_agent ${version}\n`);
    const tui = await run("socktop", ["--version"], { cwd: outside, env: userEnv() });
    assert.match(tui.stdout, new RegExp(`^socktop ${(await manifestOf(tarball("tui"))).version.replace(/\./g, "\\.")}`));
  });

  test("socktop_agent on port 0 answers {\"type\":\"metrics\"}; SIGTERM exits 0", { timeout: 60_000 }, async () => {
    const child = spawn("socktop_agent", ["--port", "0", "--bind", "127.0.0.1"], { cwd: outside, env: userEnv(), stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.stderr.on("data", (chunk: Buffer) => {
          stderr += chunk.toString();
          const m = /listening on ws:\/\/127\.0\.0\.1:(\d+)\/ws/.exec(stderr);
          if (m) resolve(Number(m[1]));
        });
        child.once("exit", (code) => reject(new Error(`socktop_agent exited ${code}: ${stderr}`)));
      });
      const reply = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/ws`);
        ws.once("open", () => ws.send('{"type":"metrics"}'));
        ws.once("message", (data: Buffer) => {
          resolve(data.toString("utf8"));
          ws.close();
        });
        ws.once("error", reject);
      });
      const metrics = JSON.parse(reply) as { hostname: string; cpu_total: number; mem_total: number };
      assert.equal(typeof metrics.hostname, "string");
      assert.ok(metrics.mem_total > 0);
      assert.ok(metrics.cpu_total >= 0 && metrics.cpu_total <= 100);
      const exit = new Promise<number | null>((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      assert.equal(await exit, 0, stderr);
    } finally {
      child.kill("SIGKILL");
    }
  });

  test("socktop --demo in tmux finds its agent, shows the process table and quits with status 0", { skip: !HAVE_TMUX ? "needs tmux (.ci/run installs it)" : !NETNS ? NO_NETNS : false, timeout: 90_000 }, async () => {
    const socket = `socktop-install-${process.pid}`;
    const status = join(work, "demo-status");
    const tmux = (...args: string[]) => spawnSync("tmux", ["-L", socket, ...args], { encoding: "utf8", env: userEnv() });
    // The tmux server starts inside the namespace, so everything in its pane is there too.
    const pane = `cd '${outside}' && socktop --demo; echo $? > '${status}'; exec sleep 60`;
    const started = spawnSync("unshare", ["--net", "sh", "-c", `ip link set lo up && exec tmux -L ${socket} -f /dev/null new-session -d -x 120 -y 40 "${pane}"`], {
      encoding: "utf8",
      env: userEnv(),
    });
    assert.equal(started.status, 0, started.stderr);
    try {
      let screen = "";
      const deadline = Date.now() + 60_000;
      while (Date.now() < deadline) {
        screen = tmux("capture-pane", "-p").stdout;
        // The header row of the process table and at least a few rows under it.
        const lines = screen.split("\n");
        const header = lines.findIndex((l) => /PID NAME/.test(l));
        if (header >= 0 && lines.slice(header + 1).filter((l) => /│\s+\d+ \S/.test(l)).length >= 3) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assert.match(screen, /PID NAME/, screen);
      assert.match(screen, /demo/, screen);
      tmux("send-keys", "q");
      for (let i = 0; i < 100 && !existsSync(status); i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal((await readFile(status, "utf8")).trim(), "0", tmux("capture-pane", "-p").stdout);
    } finally {
      tmux("kill-server");
    }
  });
});

describe("the connector in a scratch project", () => {
  const quickStart = async (): Promise<string> => {
    const readme = await readFile(join(ROOT, "packages", "connector", "README.md"), "utf8");
    const m = /<!-- example: examples\/quick-start\.ts -->\n```ts\n([\s\S]*?)\n```/.exec(readme);
    assert.ok(m, "the connector README has its quick start");
    return `${m[1]}\n`;
  };

  test("the README quick start type-checks against the installed declarations", { timeout: 120_000 }, async () => {
    await writeFile(join(scratch, "quick-start.ts"), await quickStart());
    const tsconfig = { compilerOptions: { module: "nodenext", target: "es2022", strict: true, noEmit: true, types: [], lib: ["es2022", "dom"] }, files: ["quick-start.ts"] };
    await writeFile(join(scratch, "tsconfig.json"), JSON.stringify(tsconfig));
    await timed("tsc", () => run(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", scratch], { cwd: scratch }));
  });

  test("the README quick start runs unchanged (npx tsx quick-start.ts) against an installed agent on port 3000", { skip: NETNS ? false : NO_NETNS, timeout: 90_000 }, async () => {
    await writeFile(join(scratch, "quick-start.ts"), await quickStart());
    // As the README says: start an agent (socktop_agent --port 3000), then run the file.
    const script = [
      "set -e",
      "ip link set lo up",
      `socktop_agent --port 3000 --bind 127.0.0.1 2>'${join(work, "agent.log")}' &`,
      "agent=$!",
      "for i in $(seq 100); do node -e \"require('http').get('http://127.0.0.1:3000/healthz',r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1))\" && break; sleep 0.1; done",
      "status=0; npx tsx quick-start.ts || status=$?",
      "kill -TERM $agent; wait $agent || true",
      "exit $status",
    ].join("\n");
    const { stdout } = await timed("quick start", () => run("unshare", ["--net", "bash", "-c", script], { cwd: scratch, env: userEnv(), timeout: 60_000 }));
    assert.match(stdout, /^connected to ws:\/\/localhost:3000\/ws \(agent \d+\.\d+\.\d+, protocol \d+\)$/m, stdout);
    assert.match(stdout, /: CPU \d+\.\d%, memory [\d.]+ of [\d.]+ GiB/);
    assert.match(stdout, /^\d+\t\d+\.\d%\t\S/m);
  });

  test("the protocol's .proto and JSON Schemas resolve through its exports", async () => {
    const code = [
      'import { existsSync } from "node:fs";',
      'import { fileURLToPath } from "node:url";',
      'import { parseRequest } from "@socktop/protocol";',
      'for (const s of ["@socktop/protocol/proto/processes.proto", "@socktop/protocol/schemas/metrics.schema.json"]) if (!existsSync(fileURLToPath(import.meta.resolve(s)))) throw new Error(s);',
      'console.log(parseRequest(\'{"type":"metrics"}\').kind);',
    ].join("\n");
    await writeFile(join(scratch, "resolve.mjs"), code);
    const { stdout } = await run(process.execPath, ["resolve.mjs"], { cwd: scratch, env: userEnv() });
    assert.equal(stdout.trim(), "metrics");
  });
});
