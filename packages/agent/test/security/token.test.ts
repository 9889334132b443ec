import { test } from "node:test";
import assert from "node:assert/strict";
import type { IncomingMessage } from "node:http";
import { tokenFromRequest, tokensEqual } from "../../src/security/token.js";

function request(url: string, headers: Record<string, string> = {}): IncomingMessage {
  return { url, headers } as unknown as IncomingMessage;
}

test("tokenFromRequest: the ?token= query parameter", () => {
  assert.equal(tokenFromRequest(request("/ws?token=secret")), "secret");
  assert.equal(tokenFromRequest(request("/ws?a=1&token=secret&b=2")), "secret");
  assert.equal(tokenFromRequest(request("/ws?token=first&token=second")), "first");
  assert.equal(tokenFromRequest(request("/ws?token=secret#frag")), "secret");
  assert.equal(tokenFromRequest(request("http://host:3000/ws?token=abs")), "abs");
});

test("tokenFromRequest: percent-decoded, '+' kept as a plus sign", () => {
  assert.equal(tokenFromRequest(request("/ws?token=a%2Bb%2F%3D%20c%26d")), "a+b/= c&d");
  assert.equal(tokenFromRequest(request(`/ws?token=${encodeURIComponent("pä$$ wörd+/=")}`)), "pä$$ wörd+/=");
  const viaUrl = new URL("ws://h/ws");
  viaUrl.searchParams.set("token", "b64+/token==");
  assert.equal(tokenFromRequest(request(viaUrl.pathname + viaUrl.search)), "b64+/token==");
  // A base64 token pasted into the URL without escaping.
  assert.equal(tokenFromRequest(request("/ws?token=ab+cd/ef==")), "ab+cd/ef==");
  assert.equal(tokenFromRequest(request("/ws?%74oken=encoded-name")), "encoded-name");
  assert.equal(tokenFromRequest(request("/ws?token=%zz")), "%zz");
});

test("tokenFromRequest: Authorization: Bearer, scheme in any case", () => {
  assert.equal(tokenFromRequest(request("/ws", { authorization: "Bearer secret" })), "secret");
  assert.equal(tokenFromRequest(request("/ws", { authorization: "bearer   secret " })), "secret");
  assert.equal(tokenFromRequest(request("/ws", { authorization: "BEARER secret" })), "secret");
  assert.equal(tokenFromRequest(request("/ws", { authorization: "Basic dXNlcjpwYXNz" })), null);
  assert.equal(tokenFromRequest(request("/ws", { authorization: "Bearer" })), null);
  assert.equal(tokenFromRequest(request("/ws", { authorization: "Bearer two words" })), null);
});

test("tokenFromRequest: the query parameter wins over the header", () => {
  assert.equal(tokenFromRequest(request("/ws?token=q", { authorization: "Bearer h" })), "q");
  assert.equal(tokenFromRequest(request("/ws?other=1", { authorization: "Bearer h" })), "h");
});

test("tokenFromRequest: none given", () => {
  assert.equal(tokenFromRequest(request("/ws")), null);
  assert.equal(tokenFromRequest(request("/ws?tokens=x&xtoken=y")), null);
  assert.equal(tokenFromRequest({ headers: {} } as unknown as IncomingMessage), null);
  assert.equal(tokenFromRequest(request("/ws?token=")), "");
  assert.equal(tokenFromRequest(request("/ws?token")), "");
});

test("tokensEqual: equal tokens only", () => {
  assert.equal(tokensEqual("secret", "secret"), true);
  assert.equal(tokensEqual("secreT", "secret"), false);
  assert.equal(tokensEqual("secret1", "secret2"), false, "same length, last character differs");
  assert.equal(tokensEqual("xecret", "secret"), false, "same length, first character differs");
  assert.equal(tokensEqual("secre", "secret"), false);
  assert.equal(tokensEqual("secret ", "secret"), false);
  assert.equal(tokensEqual("", "secret"), false);
  assert.equal(tokensEqual(null, "secret"), false);
  assert.equal(tokensEqual("pä$$", "pä$$"), true);
});

test("tokensEqual: very long inputs on either side", () => {
  const long = "x".repeat(1_000_000);
  assert.equal(tokensEqual(long, "secret"), false);
  assert.equal(tokensEqual("secret", long), false);
  assert.equal(tokensEqual(long, long), true);
  assert.equal(tokensEqual(long + "y", long + "z"), false);
});

test("a request's token round trip", () => {
  const expected = "s3cr3t+/=";
  assert.equal(tokensEqual(tokenFromRequest(request(`/ws?token=${encodeURIComponent(expected)}`)), expected), true);
  assert.equal(tokensEqual(tokenFromRequest(request("/ws", { authorization: `Bearer ${expected}` })), expected), true);
  assert.equal(tokensEqual(tokenFromRequest(request("/ws?token=wrong")), expected), false);
  assert.equal(tokensEqual(tokenFromRequest(request("/ws")), expected), false);
});
