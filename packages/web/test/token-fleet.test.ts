/**
 * In Chromium: an agent with a token makes the page ask for it once, say
 * clearly when it is wrong, keep it in sessionStorage and never in the page
 * URL; the fleet page shows two agents as cards (one on another origin,
 * allowed with --allow-origin), says what to do about an agent that refuses
 * the page, and drills down on a click. Over TLS the page comes over
 * https and connects with wss.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { hostname } from "node:os";
import type { Browser } from "playwright-core";
import { makeCertificate } from "../../connector/test/helpers/tls.js";
import { launch, pageUrl, startWebAgent, watchProblems } from "./helpers/browser.js";

let browser: Browser;

before(async () => {
  browser = await launch();
});

after(async () => {
  await browser.close();
});

test("asks for the token, says clearly when it is wrong, keeps it out of the page URL", async () => {
  const agent = await startWebAgent({ token: "correct horse" });
  const context = await browser.newContext();
  const page = await context.newPage();
  const problems = watchProblems(page);
  const wsUrls: string[] = [];
  page.on("websocket", (ws) => wsUrls.push(ws.url()));
  try {
    await page.goto(pageUrl(agent));
    await page.waitForSelector("form.tokenform", { timeout: 15_000 });
    assert.match((await page.textContent("[data-testid=token-message]")) ?? "", /requires a token/);
    assert.equal(wsUrls.length, 0, "nothing connects before a token is given");

    await page.fill("input[name=token]", "wrong");
    await page.press("input[name=token]", "Enter");
    await page.waitForFunction(() => /refused this token: it is wrong/.test(document.querySelector("[data-testid=token-message]")?.textContent ?? ""), null, { timeout: 10_000 });
    assert.equal(await page.getAttribute("[data-testid=token-message]", "role"), "alert");

    await page.fill("input[name=token]", "correct horse");
    await page.press("input[name=token]", "Enter");
    await page.waitForFunction((h) => document.querySelector("[data-testid=hostname]")?.textContent === h, hostname(), { timeout: 15_000 });
    await page.waitForSelector(".pspacer .prow", { timeout: 15_000 });
    assert.doesNotMatch(page.url(), /token|horse/);
    assert.equal(await page.evaluate(() => sessionStorage.length), 1);
    assert.equal(await page.evaluate(() => localStorage.length), 0);
    assert.ok(wsUrls.length >= 1 && wsUrls.every((u) => u.startsWith(`ws://127.0.0.1:${agent.address.port}/ws?`)));

    // Asked once: a reload in the same tab goes straight to the dashboard.
    await page.reload();
    await page.waitForSelector(".pspacer .prow", { timeout: 15_000 });
    assert.equal(await page.$("form.tokenform"), null);
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await agent.close();
  }
});

test("fleet page: two agents as cards, a refused one explained, a click drills down", async () => {
  const home = await startWebAgent();
  const origin = `http://127.0.0.1:${home.address.port}`;
  const other = await startWebAgent({ allowedOrigins: origin });
  const refusing = await startWebAgent();
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  const page = await context.newPage();
  const problems = watchProblems(page);
  try {
    await page.goto(`${pageUrl(home)}#/fleet`);
    await page.waitForSelector("article.card", { timeout: 15_000 });
    // This agent is there by default; add the other (as a user types it) and one that refuses the page.
    await page.fill("input[name=url]", `127.0.0.1:${other.address.port}`);
    await page.press("input[name=url]", "Enter");
    await page.fill("input[name=url]", `http://127.0.0.1:${refusing.address.port}`);
    await page.press("input[name=url]", "Enter");
    await page.waitForFunction(() => document.querySelectorAll("article.card").length === 3);
    await page.waitForFunction(
      () => [...document.querySelectorAll("[data-testid=card-cpu]")].length === 2,
      null,
      { timeout: 20_000 },
    );
    const hosts = await page.$$eval("[data-testid=card-host]", (els) => els.map((e) => e.textContent));
    assert.equal(hosts.filter((h) => h === hostname()).length, 2);
    await page.waitForFunction(() => /--allow-origin/.test(document.querySelector("[data-testid=card-error]")?.textContent ?? ""), null, { timeout: 20_000 });
    const refusal = (await page.textContent("[data-testid=card-error]")) ?? "";
    assert.match(refusal, new RegExp(`refused this page: start it with --allow-origin ${origin.replace(/\./g, "\\.")}`));
    const saved = await page.evaluate(() => JSON.parse(localStorage.getItem("socktop.fleet") ?? "[]") as string[]);
    assert.deepEqual(saved, [`ws://127.0.0.1:${home.address.port}/ws`, `ws://127.0.0.1:${other.address.port}/ws`, `ws://127.0.0.1:${refusing.address.port}/ws`]);

    await page.click(`article.card[data-url="ws://127.0.0.1:${other.address.port}/ws"] a.cardlink`);
    await page.waitForSelector(".pspacer .prow", { timeout: 15_000 });
    assert.match(decodeURIComponent(page.url()), new RegExp(`#/agent/ws://127\\.0\\.0\\.1:${other.address.port}/ws$`));
    assert.equal(await page.textContent("[data-testid=hostname]"), hostname());

    // The list outlives the page.
    await page.goto(`${pageUrl(home)}#/fleet`);
    await page.waitForFunction(() => document.querySelectorAll("article.card").length === 3, null, { timeout: 10_000 });
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await Promise.all([home.close(), other.close(), refusing.close()]);
  }
});

test("over TLS: the page comes over https and talks wss:// to the same agent", async () => {
  const certificate = await makeCertificate();
  const agent = await startWebAgent({}, { tls: { cert: certificate.cert, key: certificate.key } });
  // The self-signed certificate is accepted as a user would accept it once.
  const context = await browser.newContext({ ignoreHTTPSErrors: true });
  const page = await context.newPage();
  const problems = watchProblems(page);
  const wsUrls: string[] = [];
  page.on("websocket", (ws) => wsUrls.push(ws.url()));
  try {
    await page.goto(`https://127.0.0.1:${agent.address.port}/`);
    await page.waitForFunction((h) => document.querySelector("[data-testid=hostname]")?.textContent === h, hostname(), { timeout: 15_000 });
    assert.ok(wsUrls.length >= 1);
    assert.ok(wsUrls.every((u) => u.startsWith(`wss://127.0.0.1:${agent.address.port}/ws`)), wsUrls.join(", "));
    assert.deepEqual(problems, []);
  } finally {
    await context.close();
    await agent.close();
  }
});
