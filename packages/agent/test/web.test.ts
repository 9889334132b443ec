/**
 * --web over plain HTTP: off by default (GET / says how to turn it on, and
 * the dashboard module is never loaded), the built files served with a
 * strict CSP, cache headers that match their names, gzip, ETags, the origin
 * rule for the page, and /web/auth applying the same token check as /ws.
 * (The page itself is driven in Chromium by packages/web/test.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { parseCommand } from "../src/config.js";
import { defaultWebDir, WEB_CSP } from "../src/web.js";
import { startTestAgent, TestClient, wsUrl } from "./helpers/agent.js";

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = "GET"): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });
}

test("--web and SOCKTOP_WEB=1 turn the dashboard on; it is off by default", () => {
  const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => {
    const c = parseCommand(argv, env);
    assert.equal(c.kind, "run");
    return c.kind === "run" ? c.config.web : null;
  };
  assert.equal(run([]), false);
  assert.equal(run(["--web"]), true);
  assert.equal(run([], { SOCKTOP_WEB: "1" }), true);
  assert.equal(run([], { SOCKTOP_WEB: "0" }), false);
  assert.throws(() => parseCommand([], { SOCKTOP_WEB: "maybe" }), /invalid SOCKTOP_WEB='maybe'/);
});

test("without --web, GET / says how to turn the dashboard on and no file of it is served", async () => {
  const agent = await startTestAgent();
  try {
    const base = `http://127.0.0.1:${agent.address.port}`;
    const root = await get(`${base}/`);
    assert.equal(root.status, 404);
    assert.match(root.body.toString(), /web dashboard is off: start the agent with --web \(or SOCKTOP_WEB=1\)/);
    const index = readFileSync(`${defaultWebDir()}index.html`, "utf8");
    const script = /src="\.(\/assets\/app-[A-Z0-9]+\.js)"/.exec(index)?.[1];
    assert.ok(script, "the built index.html names its script");
    assert.equal((await get(`${base}${script}`)).status, 404);
    assert.equal((await get(`${base}/web/auth`)).status, 404);
  } finally {
    await agent.close();
  }
});

test("the agent imports the dashboard module only with --web", () => {
  const source = readFileSync(fileURLToPath(new URL("../src/agent.ts", import.meta.url)), "utf8");
  // A static import would load (and read the files of) the dashboard in every agent.
  assert.doesNotMatch(source, /^import (?!type )[^;]*"\.\/web\.js"/m);
  assert.match(source, /if \(config\.web\) \{\s*const \{[^}]*\} = await import\("\.\/web\.js"\)/);
});

test("with --web: index with a strict CSP and no inline script, no-cache; hashed assets immutable; gzip; ETag", async () => {
  const agent = await startTestAgent({ web: true });
  try {
    const base = `http://127.0.0.1:${agent.address.port}`;
    const root = await get(`${base}/`);
    assert.equal(root.status, 200);
    assert.equal(root.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(root.headers["content-security-policy"], WEB_CSP);
    assert.match(WEB_CSP, /script-src 'self'(;|$)/);
    assert.doesNotMatch(WEB_CSP, /unsafe-inline|unsafe-eval/);
    assert.match(WEB_CSP, /frame-ancestors 'none'/);
    assert.equal(root.headers["cache-control"], "no-cache");
    assert.equal(root.headers["x-content-type-options"], "nosniff");
    assert.equal(root.headers["referrer-policy"], "no-referrer");
    const html = root.body.toString();
    // Every script has a src (no inline code), and nothing comes from elsewhere.
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    assert.ok(scripts.length >= 1);
    for (const [, attrs, body] of scripts) {
      assert.match(attrs!, /src="\.\/assets\//);
      assert.equal(body!.trim(), "");
    }
    assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//);
    assert.doesNotMatch(html, /\son[a-z]+=/i);

    const js = /src="\.(\/assets\/[^"]+\.js)"/.exec(html)![1]!;
    const css = /href="\.(\/assets\/[^"]+\.css)"/.exec(html)![1]!;
    const script = await get(`${base}${js}`, { "Accept-Encoding": "gzip, br" });
    assert.equal(script.status, 200);
    assert.equal(script.headers["content-type"], "text/javascript; charset=utf-8");
    assert.equal(script.headers["cache-control"], "public, max-age=31536000, immutable");
    assert.equal(script.headers["content-encoding"], "gzip");
    const code = gunzipSync(script.body).toString();
    assert.ok(code.length > 10_000);
    // Nothing fetched at run time from anywhere but the agent (the fleet page's own targets aside).
    assert.doesNotMatch(code, /https:\/\/(cdn|unpkg|fonts)\./);
    const plain = await get(`${base}${js}`);
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.equal(plain.body.toString(), code);
    const style = await get(`${base}${css}`);
    assert.equal(style.headers["content-type"], "text/css; charset=utf-8");

    const etag = String(root.headers.etag);
    const again = await get(`${base}/`, { "If-None-Match": etag });
    assert.equal(again.status, 304);
    assert.equal(again.body.length, 0);
    const head = await get(`${base}/`, {}, "HEAD");
    assert.equal(head.status, 200);
    assert.equal(head.body.length, 0);
    const post = await get(`${base}/`, {}, "POST");
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, "GET, HEAD");
    assert.equal((await get(`${base}/assets/nope-AAAAAAAA.js`)).status, 404);
    assert.equal((await get(`${base}/../package.json`)).status, 404);
    // /healthz and /ws are unchanged.
    assert.equal((await get(`${base}/healthz`)).status, 200);
    const client = await TestClient.connect(wsUrl(agent));
    await client.close();
  } finally {
    await agent.close();
  }
});

test("with --web and a token: the page loads, /web/auth checks the token as /ws does, cross-origin pages are refused", async () => {
  const agent = await startTestAgent({ web: true, token: "s3cret", allowedOrigins: "http://allowed.example" });
  try {
    const base = `http://127.0.0.1:${agent.address.port}`;
    // The page carries no data, and must load to ask for the token.
    assert.equal((await get(`${base}/`)).status, 200);
    const none = await get(`${base}/web/auth`);
    assert.equal(none.status, 401);
    assert.match(none.body.toString(), /missing or wrong token/);
    assert.equal((await get(`${base}/web/auth`, { Authorization: "Bearer wrong" })).status, 401);
    const ok = await get(`${base}/web/auth`, { Authorization: "Bearer s3cret" });
    assert.equal(ok.status, 204);
    assert.equal(ok.headers["cache-control"], "no-store");
    assert.doesNotMatch(none.body.toString(), /s3cret/);

    const evil = { Origin: "http://evil.example" };
    const page = await get(`${base}/`, evil);
    assert.equal(page.status, 403);
    assert.match(page.body.toString(), /--allow-origin/);
    assert.equal((await get(`${base}/web/auth`, { ...evil, Authorization: "Bearer s3cret" })).status, 403);
    assert.equal((await get(`${base}/web/auth`, { Origin: "http://allowed.example", Authorization: "Bearer s3cret" })).status, 204);
    assert.equal((await get(`${base}/web/auth`, { Origin: base, Authorization: "Bearer s3cret" })).status, 204);
  } finally {
    await agent.close();
  }
});

test("--web without a built dashboard fails with one line naming the fix", async () => {
  const { loadWebAssets } = await import("../src/web.js");
  assert.throws(() => loadWebAssets("/nonexistent-socktop-web/"), /dashboard is not built .*run npm run build/);
});
