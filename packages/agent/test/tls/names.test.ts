import { test } from "node:test";
import assert from "node:assert/strict";
import { canonicalIp, isValidDnsName, parseExtraSans } from "../../src/tls/names.js";

test("parseExtraSans: nothing configured", () => {
  assert.deepEqual(parseExtraSans(undefined), { dns: [], ips: [], invalid: [] });
  assert.deepEqual(parseExtraSans(""), { dns: [], ips: [], invalid: [] });
  assert.deepEqual(parseExtraSans(" , ,"), { dns: [], ips: [], invalid: [] });
});

test("parseExtraSans: trims, sorts IPs from names, lowercases names, drops duplicates", () => {
  assert.deepEqual(parseExtraSans(" Host.LAN , 192.168.1.10,host.lan,::1, 0:0:0:0:0:0:0:1 ,[fd00::5], *.k8s.local "), {
    dns: ["host.lan", "*.k8s.local"],
    ips: ["192.168.1.10", "::1", "fd00::5"],
    invalid: [],
  });
});

test("parseExtraSans: reports what is neither an IP nor a DNS name", () => {
  const bad = ["under_score", "-lead.example", "trail-.example", "a..b", "*", "*.*.example", "x.*.example", "1.2.3.256", "fe80::1%eth0", "has space", "a".repeat(64) + ".example", "http://x"];
  const parsed = parseExtraSans(["ok.example", ...bad].join(","));
  assert.deepEqual(parsed.dns, ["ok.example"]);
  assert.deepEqual(parsed.invalid, bad);
});

test("isValidDnsName: RFC 1123 labels, 253 characters at most, leading wildcard only", () => {
  assert.equal(isValidDnsName("localhost"), true);
  assert.equal(isValidDnsName("3com.example"), true);
  assert.equal(isValidDnsName("a".repeat(63) + ".example"), true);
  assert.equal(isValidDnsName(`${"a".repeat(63)}.`.repeat(3) + "a".repeat(61)), true, "253 characters");
  assert.equal(isValidDnsName(`${"a".repeat(63)}.`.repeat(3) + "a".repeat(62)), false, "254 characters");
  assert.equal(isValidDnsName("*.example"), true);
  assert.equal(isValidDnsName("example."), false);
  assert.equal(isValidDnsName(""), false);
});

test("canonicalIp: canonical text, brackets accepted, zone ids refused", () => {
  assert.equal(canonicalIp("10.0.0.1"), "10.0.0.1");
  assert.equal(canonicalIp("2001:DB8:0:0::1"), "2001:db8::1");
  assert.equal(canonicalIp("[::1]"), "::1");
  assert.equal(canonicalIp("fe80::1%eth0"), null);
  assert.equal(canonicalIp("host"), null);
});
