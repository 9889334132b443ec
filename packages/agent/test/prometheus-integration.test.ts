/**
 * A real Prometheus (Debian's `prometheus` package, installed by .ci/run)
 * scrapes two in-process agents — one plain, one with TLS and a token — with
 * the configuration and recording rules of docs/prometheus.md, and we query
 * its HTTP API for what it stored. Every dashboard query runs against it too.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startAgent, type StartedAgent } from "../src/agent.js";
import { parseCommand, type AgentConfig } from "../src/config.js";
import { silentLogger } from "../src/log.js";
import { createSelfSignedCertificate } from "../src/tls/self-signed.js";
import { AGENT_VERSION } from "../src/version.js";

const PROMETHEUS = "/usr/bin/prometheus";
const PROMTOOL = "/usr/bin/promtool";
const CURL = "/usr/bin/curl";
const run = promisify(execFile);
const repo = fileURLToPath(new URL("../../../", import.meta.url));
const doc = readFileSync(`${repo}docs/prometheus.md`, "utf8");

/** The fenced blocks of one `## ` section of docs/prometheus.md. */
function blocks(heading: string, language: string): string[] {
  const start = doc.indexOf(`\n${heading}\n`);
  assert.ok(start >= 0, `section ${heading}`);
  const end = doc.indexOf("\n## ", start + heading.length + 2);
  const section = doc.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp("```" + language + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1] as string);
}

function replaceAll(text: string, pairs: Array<[string | RegExp, string]>): string {
  let out = text;
  for (const [from, to] of pairs) {
    const next = typeof from === "string" ? out.split(from).join(to) : out.replace(from, to);
    assert.notEqual(next, out, `the doc's example contains ${String(from)}`);
    out = next;
  }
  return out;
}

function config(argv: string[], env: NodeJS.ProcessEnv): AgentConfig {
  const command = parseCommand(argv, env);
  assert.ok(command.kind === "run");
  return command.config;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Series {
  metric: Record<string, string>;
  value: [number, string];
}

class PrometheusServer {
  private stderr = "";
  private exited: Promise<number | null>;
  private constructor(
    private readonly child: ChildProcess,
    readonly base: string,
  ) {
    child.stderr?.on("data", (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
    // If this test process dies before stop() runs (a runner timeout, an
    // uncaught error), take the server down with it rather than leave it behind.
    const pid = child.pid;
    const onExit = (): void => {
      if (pid !== undefined && child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(pid, "SIGKILL");
        } catch {
          // already gone
        }
      }
    };
    process.once("exit", onExit);
    void this.exited.then(() => process.off("exit", onExit));
  }

  /** Starts Prometheus on a free loopback port and waits until it is ready. */
  static async start(configFile: string, dataDir: string, started: (p: PrometheusServer) => void): Promise<PrometheusServer> {
    let lastError = "";
    for (let attempt = 0; attempt < 3; attempt++) {
      const port = await freePort();
      const child = spawn(
        PROMETHEUS,
        [`--config.file=${configFile}`, `--storage.tsdb.path=${join(dataDir, `tsdb-${attempt}`)}`, `--web.listen-address=127.0.0.1:${port}`, "--log.level=warn"],
        { stdio: ["ignore", "ignore", "pipe"] },
      );
      const server = new PrometheusServer(child, `http://127.0.0.1:${port}`);
      started(server);
      const state = await server.ready(12_000);
      if (state === "ready") return server;
      lastError = server.stderr;
      await server.stop();
      // Only a lost race for the port (Prometheus exits at once) is worth another try.
      if (state === "timeout") break;
    }
    throw new Error(`prometheus did not start: ${lastError}`);
  }

  private async ready(timeoutMs: number): Promise<"ready" | "exited" | "timeout"> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (Date.now() < deadline) {
      if (exited) return "exited";
      try {
        if ((await fetch(`${this.base}/-/ready`)).ok) return "ready";
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    return "timeout";
  }

  async query(promql: string): Promise<{ status: string; data: { resultType: string; result: Series[] }; error?: string }> {
    const res = await fetch(`${this.base}/api/v1/query?query=${encodeURIComponent(promql)}`);
    return (await res.json()) as { status: string; data: { resultType: string; result: Series[] }; error?: string };
  }

  async series(promql: string): Promise<Series[]> {
    const reply = await this.query(promql);
    assert.equal(reply.status, "success", `${promql}: ${reply.error ?? ""}`);
    return reply.data.result;
  }

  /** Polls `promql` until `done` holds for its series, or fails with what was last seen. */
  async waitFor(promql: string, done: (s: Series[]) => boolean, timeoutMs: number): Promise<Series[]> {
    const deadline = Date.now() + timeoutMs;
    let last: Series[] = [];
    while (Date.now() < deadline) {
      last = await this.series(promql);
      if (done(last)) return last;
      await sleep(250);
    }
    const targets = await fetch(`${this.base}/api/v1/targets`).then((r) => r.text()).catch(() => "");
    assert.fail(`${promql} never satisfied; last ${JSON.stringify(last)}; targets ${targets}; stderr ${this.stderr}`);
  }

  /** SIGTERM to our own child by its pid, SIGKILL if it does not exit within 5 s. */
  async stop(): Promise<void> {
    const pid = this.child.pid;
    if (pid === undefined || this.child.exitCode !== null || this.child.signalCode !== null) return;
    process.kill(pid, "SIGTERM");
    const exited = await Promise.race([this.exited.then(() => true), sleep(5000).then(() => false)]);
    if (!exited) {
      process.kill(pid, "SIGKILL");
      await this.exited;
    }
  }
}

test(
  "a real Prometheus scrapes a plain agent and a TLS + token agent with the configuration of docs/prometheus.md",
  { skip: !existsSync(PROMETHEUS) && `${PROMETHEUS} not installed (Debian package "prometheus"; .ci/run installs it)`, timeout: 30_000 },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "socktop-prometheus-"));
    const agents: StartedAgent[] = [];
    let prometheus: PrometheusServer | undefined;
    try {
      // The plain agent serves /metrics on a port of its own; the secure one next to /ws,
      // with a token and the self-signed certificate it writes under $XDG_DATA_HOME.
      const token = "pr0m-scrape-token+/=";
      const plain = await startAgent(config(["--bind", "127.0.0.1", "--port", "0", "--prometheus-port", "0"], {}), silentLogger);
      agents.push(plain);
      const secure = await startAgent(
        config(["--enableSSL", "--bind", "127.0.0.1", "--port", "0"], {
          SOCKTOP_PROMETHEUS: "1",
          SOCKTOP_PROMETHEUS_TOP_PROCESSES: "5",
          SOCKTOP_TOKEN: token,
          XDG_DATA_HOME: dir,
        }),
        silentLogger,
      );
      agents.push(secure);
      const certPath = join(dir, "socktop_agent", "tls", "cert.pem");
      assert.equal(secure.tls?.certPath, certPath);
      const plainTarget = `127.0.0.1:${plain.prometheus!.address.port}`;
      const secureTarget = `127.0.0.1:${secure.prometheus!.address.port}`;
      assert.notEqual(plain.prometheus!.address.port, plain.address.port);
      assert.equal(secure.prometheus!.address.port, secure.address.port);

      // The doc's CA bundle command, with a second agent's certificate next to ours.
      mkdirSync(join(dir, "db-1"));
      mkdirSync(join(dir, "db-2"));
      writeFileSync(join(dir, "db-1", "cert.pem"), readFileSync(certPath));
      const other = await createSelfSignedCertificate({ commonName: "db-2", dns: ["db-2"], ips: [] });
      writeFileSync(join(dir, "db-2", "cert.pem"), other.cert);
      const bundle = join(dir, "socktop-agents.pem");
      const [catLine] = blocks("## Scrape configuration", "sh");
      await run("/bin/sh", ["-c", replaceAll(catLine!.trim(), [["/etc/prometheus/socktop-agents.pem", bundle]])], { cwd: dir, timeout: 5000 });
      assert.equal(readFileSync(bundle, "utf8").match(/BEGIN CERTIFICATE/g)?.length, 2);
      writeFileSync(join(dir, "token"), token);

      // prometheus.yml: the doc's three scrape configurations as one file.
      const [staticBlock, fileSdBlock, tlsBlock, ...extra] = blocks("## Scrape configuration", "yaml");
      assert.equal(extra.length, 0);
      const jobs = (block: string): string => {
        assert.ok(block.startsWith("scrape_configs:\n"), block);
        return block.slice("scrape_configs:\n".length);
      };
      const prometheusYml = replaceAll(staticBlock! + jobs(fileSdBlock!) + jobs(tlsBlock!), [
        ["scrape_interval: 15s", "scrape_interval: 1s"],
        ["evaluation_interval: 15s", "evaluation_interval: 1s"],
        ["/etc/prometheus/rules/socktop.yml", join(dir, "rules.yml")],
        ["/etc/prometheus/socktop/*.json", join(dir, "sd", "*.json")],
        ["/etc/prometheus/socktop.token", join(dir, "token")],
        ["/etc/prometheus/socktop-agents.pem", bundle],
        ["web-1.example.net:3000", plainTarget],
        [/^ *- web-2\.example\.net:3000\n/m, ""],
        ["db-1.example.net:8443", secureTarget],
      ]);
      assert.doesNotMatch(prometheusYml, /example\.net|\/etc\/prometheus/);
      // Not from the doc: the same agent without the token, and with another agent's
      // certificate pinned, must both be refused.
      const negativeJobs = `
  - job_name: without-token
    scheme: https
    tls_config:
      ca_file: ${bundle}
    static_configs:
      - targets: ["${secureTarget}"]
  - job_name: wrong-certificate
    scheme: https
    authorization:
      credentials_file: ${join(dir, "token")}
    tls_config:
      ca_file: ${join(dir, "db-2", "cert.pem")}
    static_configs:
      - targets: ["${secureTarget}"]
`;
      const configFile = join(dir, "prometheus.yml");
      writeFileSync(configFile, prometheusYml + negativeJobs);

      const [sdJson] = blocks("## Scrape configuration", "json");
      const groups = JSON.parse(sdJson!) as Array<{ targets: string[]; labels: Record<string, string> }>;
      mkdirSync(join(dir, "sd"));
      writeFileSync(join(dir, "sd", "web.json"), JSON.stringify(groups.map((g) => ({ ...g, targets: [plainTarget] }))));

      const [rules] = blocks("## Recording rules", "yaml");
      writeFileSync(join(dir, "rules.yml"), rules!);
      if (existsSync(PROMTOOL)) {
        await run(PROMTOOL, ["check", "rules", join(dir, "rules.yml")], { timeout: 10_000 });
        await run(PROMTOOL, ["check", "config", configFile], { timeout: 10_000 });
      }

      prometheus = await PrometheusServer.start(configFile, dir, (p) => (prometheus = p));
      const p = prometheus;

      // Two scrapes of every target.
      const expected = [
        { job: "socktop", instance: plainTarget },
        { job: "socktop-fleet", instance: plainTarget },
        { job: "socktop-tls", instance: secureTarget },
      ];
      await p.waitFor(
        "count_over_time(up[1m]) >= 2",
        (s) =>
          [...expected, { job: "without-token", instance: secureTarget }, { job: "wrong-certificate", instance: secureTarget }].every((e) =>
            s.some((x) => x.metric.job === e.job && x.metric.instance === e.instance),
          ),
        10_000,
      );
      const up = await p.series("up");
      assert.deepEqual(
        up.map((s) => [s.metric.job, s.metric.instance, s.value[1]]).sort(),
        [
          ...expected.map((e) => [e.job, e.instance, "1"]),
          ["without-token", secureTarget, "0"],
          ["wrong-certificate", secureTarget, "0"],
        ].sort(),
        "up == 1 for both agents under every job of the doc; 0 without the token or with the wrong pin",
      );
      const targets = (await (await fetch(`${p.base}/api/v1/targets`)).json()) as {
        data: { activeTargets: Array<{ labels: Record<string, string>; lastError: string }> };
      };
      const lastError = (job: string): string => targets.data.activeTargets.find((t) => t.labels.job === job)?.lastError ?? "";
      assert.match(lastError("without-token"), /401/);
      assert.match(lastError("wrong-certificate"), /certificate/);
      const fleet = up.find((s) => s.metric.job === "socktop-fleet")!;
      assert.equal(fleet.metric.env, "production", "labels from the file_sd target file");

      for (const { job, instance } of expected) {
        const sel = `{job="${job}",instance="${instance}"}`;
        const cpu = await p.series(`socktop_cpu_usage_ratio${sel}`);
        assert.equal(cpu.length, 1, `${instance} cpu`);
        assert.ok(Number(cpu[0]!.value[1]) >= 0 && Number(cpu[0]!.value[1]) <= 1);
        assert.ok((await p.series(`socktop_cpu_core_usage_ratio${sel}`)).length >= 1, `${instance} per-core`);
        const mem = await p.series(`socktop_memory_total_bytes${sel}`);
        assert.ok(mem.length === 1 && Number(mem[0]!.value[1]) > 0, `${instance} memory`);
        assert.equal((await p.series(`socktop_memory_used_bytes${sel}`)).length, 1);
        const rx = await p.series(`socktop_network_receive_bytes_total${sel}`);
        assert.ok(rx.length >= 1 && rx.every((s) => s.metric.device), `${instance} network`);
        assert.ok((await p.series(`socktop_network_transmit_bytes_total${sel}`)).length >= 1);
        const build = await p.series(`socktop_agent_build_info${sel}`);
        assert.equal(build[0]?.metric.version, AGENT_VERSION);
      }
      const top = await p.series(`socktop_process_cpu_usage_ratio{instance="${secureTarget}"}`);
      assert.ok(top.length >= 1 && top.length <= 5, "top processes of the agent asking for them");
      assert.equal((await p.series(`socktop_process_cpu_usage_ratio{instance="${plainTarget}"}`)).length, 0, "none by default");

      // The recording rules evaluate over both agents.
      await p.waitFor(
        "instance:socktop_memory_used:ratio",
        (s) => [plainTarget, secureTarget].every((i) => s.some((x) => x.metric.instance === i)),
        5_000,
      );

      // Every dashboard query is valid PromQL over real data; the TUI's core panels have data.
      const dashboard = JSON.parse(readFileSync(`${repo}docs/grafana-dashboard.json`, "utf8")) as {
        panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
      };
      const mustHaveData = new Set(["CPU", "Per-core CPU", "Memory and swap", "Memory and swap over time", "Processes", "Top processes"]);
      for (const panel of dashboard.panels) {
        for (const { expr } of panel.targets) {
          const promql = expr.replaceAll("$instance", `${plainTarget}|${secureTarget}`).replaceAll("$__rate_interval", "1m");
          const result = await p.series(promql);
          if (mustHaveData.has(panel.title) && !/swap/.test(expr)) assert.ok(result.length > 0, `${panel.title}: ${promql}`);
        }
      }

      // The doc's curl lines, against the same agents.
      if (existsSync(CURL)) {
        const [curlPlain, curlSecure] = blocks("## Enabling", "sh")[1]!.trim().split("\n");
        const env = { ...process.env, SOCKTOP_TOKEN: token };
        const a = await run("/bin/sh", ["-c", replaceAll(curlPlain!, [["localhost:3000", plainTarget]])], { env, timeout: 10_000 });
        assert.match(a.stdout, /^socktop_cpu_usage_ratio /m);
        const b = await run(
          "/bin/sh",
          ["-c", replaceAll(curlSecure!, [["~/.local/share", dir], ["localhost:8443", `localhost:${secure.address.port}`]])],
          { env, timeout: 10_000 },
        );
        assert.match(b.stdout, /^socktop_process_cpu_usage_ratio\{/m);
      }
    } finally {
      await prometheus?.stop();
      await Promise.all(agents.map((a) => a.close()));
      rmSync(dir, { recursive: true, force: true });
    }
  },
);
