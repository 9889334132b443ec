import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, parseCommand, type AgentConfig } from "../src/config.js";

function run(argv: string[], env: NodeJS.ProcessEnv = {}): AgentConfig {
  const command = parseCommand(argv, env);
  assert.equal(command.kind, "run");
  return (command as { config: AgentConfig }).config;
}

test("defaults: port 3000 on 0.0.0.0, seed TTLs, GPU and temperature on", () => {
  const c = run([]);
  assert.equal(c.port, 3000);
  assert.equal(c.bind, "0.0.0.0");
  assert.equal(c.tls, null);
  assert.equal(c.token, null);
  assert.deepEqual([c.metricsTtlMs, c.processesTtlMs, c.disksTtlMs], [250, 1000, 1000]);
  assert.equal(c.gpuEnabled, true);
  assert.equal(c.temperatureEnabled, true);
});

test("the port can be given four ways, the command line winning over the environment", () => {
  assert.equal(run(["--port", "4000"]).port, 4000);
  assert.equal(run(["--port=4001"]).port, 4001);
  assert.equal(run(["-p", "4002"]).port, 4002);
  assert.equal(run(["4003"]).port, 4003);
  assert.equal(run(["--port", "0"]).port, 0, "0 picks a free port");
  assert.equal(run([], { SOCKTOP_PORT: "4004" }).port, 4004);
  assert.equal(run(["-p", "4005"], { SOCKTOP_PORT: "4004" }).port, 4005);
});

test("TLS moves the default port to 8443, an explicit port still wins", () => {
  assert.equal(run(["--enableSSL"]).port, 8443);
  assert.equal(run([], { SOCKTOP_ENABLE_SSL: "1" }).port, 8443);
  assert.equal(run(["--enableSSL", "-p", "9000"]).port, 9000);
  const c = run(["--tls-cert", "c.pem", "--tls-key", "k.pem"], { SOCKTOP_AGENT_EXTRA_SANS: "a.example", XDG_DATA_HOME: "/srv/data", XDG_CONFIG_HOME: "/srv/config" });
  assert.deepEqual(c.tls, { dir: "/srv/data/socktop_agent/tls", originalDir: "/srv/config/socktop_agent/tls", certFile: "c.pem", keyFile: "k.pem", extraSans: "a.example" });
});

test("environment toggles and TTL overrides", () => {
  const c = run([], {
    SOCKTOP_AGENT_GPU: "0",
    SOCKTOP_AGENT_TEMP: "0",
    SOCKTOP_TOKEN: "s3cret",
    SOCKTOP_AGENT_METRICS_TTL_MS: "100",
    SOCKTOP_AGENT_PROCESSES_TTL_MS: "2000",
    SOCKTOP_AGENT_DISKS_TTL_MS: "0",
    SOCKTOP_MAX_CLIENTS: "10",
  });
  assert.equal(c.gpuEnabled, false);
  assert.equal(c.temperatureEnabled, false);
  assert.equal(c.token, "s3cret");
  assert.deepEqual([c.metricsTtlMs, c.processesTtlMs, c.disksTtlMs, c.maxClients], [100, 2000, 0, 10]);
});

test("help and version", () => {
  assert.deepEqual(parseCommand(["--help"], {}), { kind: "help" });
  assert.deepEqual(parseCommand(["-h"], {}), { kind: "help" });
  assert.deepEqual(parseCommand(["-V"], {}), { kind: "version" });
  assert.deepEqual(parseCommand(["--version"], {}), { kind: "version" });
});

const bad: Array<[string[], NodeJS.ProcessEnv, RegExp]> = [
  [["--port", "65536"], {}, /invalid port 65536/],
  [["--port", "abc"], {}, /invalid port 'abc'/],
  [["--port"], {}, /--port needs a value/],
  [["-p", "-5"], {}, /^-p needs a value$/],
  [["--port=-5"], {}, /invalid port '-5'/],
  [["--enableSSL=false"], {}, /^--enableSSL takes no value$/],
  [["--prometheus=0"], {}, /^--prometheus takes no value$/],
  [["--enableSSL=true"], {}, /^--enableSSL takes no value$/],
  [["--x"], {}, /^unknown option '--x' \(see --help\)$/],
  [["--frobnicate"], {}, /unknown option '--frobnicate'/],
  [["3000", "4000"], {}, /unexpected argument '4000'/],
  [["hello"], {}, /unexpected argument 'hello'/],
  [[], { SOCKTOP_PORT: "http" }, /SOCKTOP_PORT/],
  [[], { SOCKTOP_AGENT_GPU: "maybe" }, /SOCKTOP_AGENT_GPU='maybe'/],
  [[], { SOCKTOP_AGENT_METRICS_TTL_MS: "-1" }, /SOCKTOP_AGENT_METRICS_TTL_MS/],
  [[], { SOCKTOP_AGENT_METRICS_TTL_MS: "-5" }, /^invalid SOCKTOP_AGENT_METRICS_TTL_MS='-5': expected a non-negative whole number of milliseconds$/],
  [[], { SOCKTOP_AGENT_DISKS_TTL_MS: "1.5" }, /expected a non-negative whole number of milliseconds$/],
  [[], { SOCKTOP_MAX_CLIENTS: "x" }, /expected a whole number of at least 1$/],
  [["--bind", "300.1.1.1"], {}, /^invalid --bind '300.1.1.1': expected an IP address/],
  [["--bind", "1.2.3"], {}, /^invalid --bind '1.2.3'/],
  [["--bind", "bad host"], {}, /^invalid --bind 'bad host'/],
  [[], { SOCKTOP_BIND: "999.0.0.1" }, /^invalid SOCKTOP_BIND '999.0.0.1'/],
  [[], { SOCKTOP_MAX_CLIENTS: "0" }, /SOCKTOP_MAX_CLIENTS=0/],
  [["--tls-cert", "c.pem"], {}, /--tls-cert needs --tls-key/],
];
for (const [argv, env, message] of bad) {
  test(`refuses ${JSON.stringify(argv)} ${JSON.stringify(env)}`, () => {
    assert.throws(() => parseCommand(argv, env), (error: unknown) => error instanceof ConfigError && message.test(error.message));
  });
}

test("--proc-root / --sys-root and SOCKTOP_PROC_ROOT / SOCKTOP_SYS_ROOT choose where /proc and /sys are read", () => {
  const defaults = run([]);
  assert.deepEqual([defaults.procRoot, defaults.sysRoot], ["/proc", "/sys"]);
  const env = run([], { SOCKTOP_PROC_ROOT: "/host/proc", SOCKTOP_SYS_ROOT: "/host/sys" });
  assert.deepEqual([env.procRoot, env.sysRoot], ["/host/proc", "/host/sys"]);
  const flags = run(["--proc-root", "/a/proc", "--sys-root=/a/sys"], { SOCKTOP_PROC_ROOT: "/host/proc" });
  assert.deepEqual([flags.procRoot, flags.sysRoot], ["/a/proc", "/a/sys"]);
  assert.throws(() => parseCommand(["--proc-root"], {}), /--proc-root needs a value/);
});

test("every switch is on only when given bare; the environment's 1/0 rule is unchanged", () => {
  assert.notEqual(run(["--enableSSL"]).tls, null);
  assert.notEqual(run(["--enable-ssl"]).tls, null);
  assert.equal(run([]).tls, null);
  assert.equal(run([], { SOCKTOP_ENABLE_SSL: "0" }).tls, null);
  assert.notEqual(run([], { SOCKTOP_ENABLE_SSL: "1" }).tls, null);
  assert.equal(run(["--prometheus"]).prometheus.enabled, true);
  assert.equal(run([], { SOCKTOP_PROMETHEUS: "0" }).prometheus.enabled, false);
  // Every existing way to give the port still works, and a port given twice is refused.
  assert.equal(run(["8080"]).port, 8080);
  assert.throws(() => parseCommand(["--port", "1", "--port", "2"], {}), /--port may be given only once/);
});

test("--bind takes IP addresses (bracketed IPv6 too) and host names", () => {
  assert.equal(run(["--bind", "127.0.0.1"]).bind, "127.0.0.1");
  assert.equal(run(["--bind", "::"]).bind, "::");
  assert.equal(run(["--bind", "[::1]"]).bind, "::1");
  assert.equal(run(["--bind", "localhost"]).bind, "localhost");
  assert.equal(run([], { SOCKTOP_BIND: "my-host.lan" }).bind, "my-host.lan");
});
