import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, createPrivateKey, generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import type { AddressInfo } from "node:net";
import { ensureCertificate, type TlsMaterial } from "../../src/tls/certificate.js";
import { createSelfSignedCertificate } from "../../src/tls/self-signed.js";
import { DAY, collector, expectCertError, mode, tempDir } from "../helpers/tls-files.js";

describe("ensureCertificate: first start", () => {
  let root: string;
  let dir: string;
  let material: TlsMaterial;
  let logged: ReturnType<typeof collector>;
  let started: number;

  before(async () => {
    root = tempDir();
    dir = join(root, "data", "socktop_agent", "tls");
    logged = collector();
    started = Date.now();
    material = await ensureCertificate({
      dir,
      hostname: "agent-host",
      extraSans: " 10.1.2.3, Agent.Example.COM ,bad_name!, *.wild.example, 2001:db8::7,300.1.1.1, fe80::1%eth0,,",
      log: logged.log,
    });
  });

  test("writes cert.pem and key.pem with private modes and leaves no temp files", () => {
    assert.equal(material.created, true);
    assert.equal(material.replaced, false);
    assert.equal(material.certPath, join(dir, "cert.pem"));
    assert.equal(material.keyPath, join(dir, "key.pem"));
    assert.equal(mode(dir), 0o700);
    assert.equal(mode(join(dir, "key.pem")), 0o600);
    assert.equal(mode(join(dir, "cert.pem")), 0o644);
    assert.deepEqual(readdirSync(dir).sort(), ["cert.pem", "key.pem"]);
    assert.equal(readFileSync(join(dir, "cert.pem"), "utf8"), material.cert);
    assert.equal(readFileSync(join(dir, "key.pem"), "utf8"), material.key);
  });

  test("is an ECDSA P-256 / SHA-256 end-entity certificate for the hostname", () => {
    const cert = new X509Certificate(material.cert);
    assert.equal(cert.subject, "CN=agent-host");
    assert.equal(cert.issuer, "CN=agent-host");
    assert.equal(cert.ca, false);
    assert.equal(cert.publicKey.asymmetricKeyType, "ec");
    assert.equal(cert.publicKey.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(cert.verify(cert.publicKey), "self-signed");
    assert.equal(cert.fingerprint256, material.fingerprint256);
    assert.match(material.fingerprint256, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    // A positive 16-byte serial: no leading 00 byte was needed.
    assert.match(cert.serialNumber, /^[4-7][0-9A-F]{31}$/);
    const text = cert.toLegacyObject() as { ext_key_usage?: string[] };
    assert.deepEqual(text.ext_key_usage, ["1.3.6.1.5.5.7.3.1"]);
  });

  test("the key is PKCS#8 EC prime256v1 and belongs to the certificate", () => {
    assert.match(material.key, /^-----BEGIN PRIVATE KEY-----\n/);
    const key = createPrivateKey(material.key);
    assert.equal(key.asymmetricKeyType, "ec");
    assert.equal(key.asymmetricKeyDetails?.namedCurve, "prime256v1");
    assert.ok(new X509Certificate(material.cert).checkPrivateKey(key));
  });

  test("names: hostname, localhost, loopback addresses, 0.0.0.0 and the valid extra SANs", () => {
    const sans = new X509Certificate(material.cert).subjectAltName!.split(", ");
    for (const name of [
      "DNS:agent-host",
      "DNS:localhost",
      "DNS:agent.example.com",
      "DNS:*.wild.example",
      "IP Address:127.0.0.1",
      "IP Address:0:0:0:0:0:0:0:1",
      "IP Address:0.0.0.0",
      "IP Address:10.1.2.3",
      "IP Address:2001:DB8:0:0:0:0:0:7",
    ]) {
      assert.ok(sans.includes(name), `${name} in ${sans.join(", ")}`);
    }
    assert.equal(sans.length, 9);
  });

  test("invalid extra SANs: one warning each, left out", () => {
    for (const bad of ["bad_name!", "300.1.1.1", "fe80::1%eth0"]) {
      const lines = logged.lines.filter((line) => line.includes(JSON.stringify(bad)));
      assert.equal(lines.length, 1, `one line for ${bad}`);
      assert.match(lines[0]!, /^warning: ignoring SOCKTOP_AGENT_EXTRA_SANS entry/);
    }
  });

  test("valid from five minutes ago for 397 days", () => {
    const cert = new X509Certificate(material.cert);
    const from = new Date(cert.validFrom).getTime();
    const to = new Date(cert.validTo).getTime();
    const slack = 2000 + (Date.now() - started);
    assert.ok(Math.abs(from - (started - 5 * 60_000)) <= slack, cert.validFrom);
    assert.ok(Math.abs(to - (started + 397 * DAY)) <= slack, cert.validTo);
    assert.equal(material.notAfter.getTime(), to);
  });

  test("logs both paths and the fingerprint, never the key", () => {
    const text = logged.text();
    assert.ok(text.includes(material.certPath!));
    assert.ok(text.includes(material.keyPath!));
    assert.ok(text.includes(material.fingerprint256));
    const keyBody = material.key.split("\n").slice(1, -2).join("");
    assert.ok(keyBody.length > 40);
    for (const chunk of material.key.split("\n").slice(1, -2)) assert.ok(!text.includes(chunk));
    assert.ok(!text.includes("PRIVATE KEY-----"));
  });
});

describe("ensureCertificate: later starts", () => {
  test("reuses the pair: same fingerprint, created false, files untouched", async () => {
    const dir = join(tempDir(), "tls");
    const first = await ensureCertificate({ dir, hostname: "h", log: () => {} });
    const before = statSync(join(dir, "key.pem")).mtimeMs;
    const logged = collector();
    const second = await ensureCertificate({ dir, hostname: "h", log: logged.log });
    assert.equal(second.created, false);
    assert.equal(second.replaced, false);
    assert.equal(second.fingerprint256, first.fingerprint256);
    assert.equal(second.cert, first.cert);
    assert.equal(second.key, first.key);
    assert.equal(second.notAfter.getTime(), first.notAfter.getTime());
    assert.equal(statSync(join(dir, "key.pem")).mtimeMs, before);
    assert.ok(logged.text().includes(first.fingerprint256), "fingerprint logged on reuse too");
    assert.ok(!logged.text().includes("warning"), logged.text());
  });

  test("an expired pair is set aside as *.expired-<date> and replaced", async () => {
    const dir = join(tempDir(), "tls");
    const old = await ensureCertificate({ dir, hostname: "h", now: new Date(Date.now() - 400 * DAY), log: () => {} });
    assert.ok(old.notAfter.getTime() < Date.now());
    const logged = collector();
    const fresh = await ensureCertificate({ dir, hostname: "h", log: logged.log });
    assert.equal(fresh.created, true);
    assert.equal(fresh.replaced, true);
    assert.notEqual(fresh.fingerprint256, old.fingerprint256);
    assert.ok(fresh.notAfter.getTime() > Date.now() + 396 * DAY);
    const date = old.notAfter.toISOString().slice(0, 10);
    assert.equal(readFileSync(join(dir, `cert.pem.expired-${date}`), "utf8"), old.cert);
    assert.equal(readFileSync(join(dir, `key.pem.expired-${date}`), "utf8"), old.key);
    assert.equal(mode(join(dir, `key.pem.expired-${date}`)), 0o600);
    assert.equal(readFileSync(join(dir, "cert.pem"), "utf8"), fresh.cert);
    assert.equal(mode(join(dir, "key.pem")), 0o600);
    assert.match(logged.text(), /warning: TLS certificate .* expired on/);
    assert.ok(logged.text().includes(`cert.pem.expired-${date}`));
    assert.ok(logged.text().includes(fresh.fingerprint256));

    // The same expiry date again (an old pair put back) gets a numbered backup instead of overwriting one.
    writeFileSync(join(dir, "cert.pem"), old.cert);
    writeFileSync(join(dir, "key.pem"), old.key, { mode: 0o600 });
    const third = await ensureCertificate({ dir, hostname: "h", log: () => {} });
    assert.equal(third.replaced, true);
    assert.equal(readFileSync(join(dir, `cert.pem.expired-${date}.1`), "utf8"), old.cert);
    assert.equal(readFileSync(join(dir, `cert.pem.expired-${date}`), "utf8"), old.cert);
  });

  test("a certificate expiring within 30 days is used with a warning", async () => {
    const dir = join(tempDir(), "tls");
    const old = await ensureCertificate({ dir, hostname: "h", now: new Date(Date.now() - 380 * DAY), log: () => {} });
    const logged = collector();
    const again = await ensureCertificate({ dir, hostname: "h", log: logged.log });
    assert.equal(again.created, false);
    assert.equal(again.fingerprint256, old.fingerprint256);
    assert.match(logged.text(), /warning: TLS certificate .* expires on .* \(in 1[67] days\)/);
  });

  test("a certificate not valid yet (clock went back) is used with a warning", async () => {
    const dir = join(tempDir(), "tls");
    await ensureCertificate({ dir, hostname: "h", now: new Date(Date.now() + 3 * DAY), log: () => {} });
    const logged = collector();
    const again = await ensureCertificate({ dir, hostname: "h", log: logged.log });
    assert.equal(again.created, false);
    assert.match(logged.text(), /warning: .* is not valid before .*system clock/);
  });

  test("names added since generation draw a warning, the pinned certificate is kept", async () => {
    const dir = join(tempDir(), "tls");
    const first = await ensureCertificate({ dir, hostname: "h", log: () => {} });
    const logged = collector();
    const again = await ensureCertificate({ dir, hostname: "h", extraSans: "new.example,192.0.2.9", log: logged.log });
    assert.equal(again.fingerprint256, first.fingerprint256);
    assert.match(logged.text(), /warning: .* does not cover new\.example, 192\.0\.2\.9; delete/);
  });

  test("a key readable by others draws a warning", async () => {
    const dir = join(tempDir(), "tls");
    await ensureCertificate({ dir, hostname: "h", log: () => {} });
    chmodSync(join(dir, "key.pem"), 0o644);
    const warnings: string[] = [];
    const infos: string[] = [];
    await ensureCertificate({ dir, hostname: "h", log: { info: (l) => infos.push(l), warn: (l) => warnings.push(l) } });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /readable by other users \(mode 0644\); run chmod 600/);
    assert.ok(infos.some((line) => line.includes("fingerprint")));
  });
});

describe("ensureCertificate: broken pairs are reported, never overwritten", () => {
  async function pairIn(): Promise<{ dir: string; material: TlsMaterial }> {
    const dir = join(tempDir(), "tls");
    return { dir, material: await ensureCertificate({ dir, hostname: "h", log: () => {} }) };
  }

  test("corrupt certificate → CERT_CORRUPT", async () => {
    const { dir } = await pairIn();
    const certPath = join(dir, "cert.pem");
    writeFileSync(certPath, "-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n");
    await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "CERT_CORRUPT", certPath);
    writeFileSync(certPath, "garbage");
    const error = await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "CERT_CORRUPT", certPath);
    assert.match(error.message, /delete .*cert\.pem and .*key\.pem to generate a new pair/);
    assert.equal(readFileSync(certPath, "utf8"), "garbage");
  });

  test("corrupt key → KEY_CORRUPT", async () => {
    const { dir } = await pairIn();
    writeFileSync(join(dir, "key.pem"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "KEY_CORRUPT", join(dir, "key.pem"));
  });

  test("another key → CERT_KEY_MISMATCH", async () => {
    const { dir, material } = await pairIn();
    const other = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    writeFileSync(join(dir, "key.pem"), other);
    await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "CERT_KEY_MISMATCH", join(dir, "key.pem"));
    assert.equal(readFileSync(join(dir, "key.pem"), "utf8"), other);
    assert.equal(readFileSync(join(dir, "cert.pem"), "utf8"), material.cert);
  });

  test("only one of the two files → CERT_FILE_MISSING naming the missing one", async () => {
    const { dir } = await pairIn();
    rmSync(join(dir, "key.pem"));
    const error = await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "CERT_FILE_MISSING", join(dir, "key.pem"));
    assert.equal(error.path, join(dir, "key.pem"));
    assert.ok(existsSync(join(dir, "cert.pem")));

    const other = await pairIn();
    rmSync(join(other.dir, "cert.pem"));
    const error2 = await expectCertError(
      ensureCertificate({ dir: other.dir, hostname: "h", log: () => {} }),
      "CERT_FILE_MISSING",
      join(other.dir, "cert.pem"),
    );
    assert.equal(error2.path, join(other.dir, "cert.pem"));
  });

  test("a directory whose parent is a regular file → CERT_DIR_UNWRITABLE", async () => {
    const root = tempDir();
    writeFileSync(join(root, "plain-file"), "x");
    const dir = join(root, "plain-file", "socktop_agent", "tls");
    const error = await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "CERT_DIR_UNWRITABLE", dir);
    assert.match(error.message, /XDG_DATA_HOME/);
    assert.match(error.message, /--tls-cert and --tls-key/);
  });

  test("a directory path that is a file → CERT_DIR_UNWRITABLE", async () => {
    const root = tempDir();
    const dir = join(root, "tls");
    writeFileSync(dir, "x");
    await expectCertError(ensureCertificate({ dir, hostname: "h", log: () => {} }), "CERT_DIR_UNWRITABLE", dir);
  });
});

describe("the generated certificate in a real TLS handshake", () => {
  let material: TlsMaterial;
  let server: tls.Server;
  let port: number;
  let ipv6 = true;

  before(async () => {
    material = await ensureCertificate({ dir: join(tempDir(), "tls"), hostname: "agent-host", extraSans: "agent.test", log: () => {} });
    server = tls.createServer({ cert: material.cert, key: material.key }, (socket) => socket.end("hello"));
    server.on("tlsClientError", () => {});
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "::", () => resolve());
    }).catch(async () => {
      // No IPv6 on this machine: test IPv4 only.
      ipv6 = false;
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
    });
    port = (server.address() as AddressInfo).port;
  });

  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  function connect(options: tls.ConnectionOptions): Promise<{ ok: true; authorized: boolean } | { ok: false; code: string }> {
    return new Promise((resolve) => {
      const socket = tls.connect({ port, ...options }, () => {
        resolve({ ok: true, authorized: socket.authorized });
        socket.destroy();
      });
      socket.on("error", (error: NodeJS.ErrnoException) => resolve({ ok: false, code: error.code ?? error.message }));
    });
  }

  test("a client pinning cert.pem as its CA connects on 127.0.0.1", async () => {
    assert.deepEqual(await connect({ host: "127.0.0.1", ca: material.cert, checkServerIdentity: () => undefined }), {
      ok: true,
      authorized: true,
    });
  });

  test("... and on ::1", async (t) => {
    if (!ipv6) return t.skip("no IPv6 on this machine");
    assert.deepEqual(await connect({ host: "::1", ca: material.cert, checkServerIdentity: () => undefined }), {
      ok: true,
      authorized: true,
    });
  });

  test("hostname verification passes for localhost, 127.0.0.1, ::1 and an extra SAN", async (t) => {
    assert.equal((await connect({ host: "127.0.0.1", servername: "localhost", ca: material.cert })).ok, true);
    assert.equal((await connect({ host: "127.0.0.1", servername: "agent.test", ca: material.cert })).ok, true);
    assert.equal((await connect({ host: "127.0.0.1", servername: "agent-host", ca: material.cert })).ok, true);
    assert.equal((await connect({ host: "127.0.0.1", ca: material.cert })).ok, true);
    if (ipv6) assert.equal((await connect({ host: "::1", ca: material.cert })).ok, true);
    else t.diagnostic("::1 not tested: no IPv6");
  });

  test("hostname verification still refuses a name the certificate does not carry", async () => {
    assert.deepEqual(await connect({ host: "127.0.0.1", servername: "example.org", ca: material.cert }), {
      ok: false,
      code: "ERR_TLS_CERT_ALTNAME_INVALID",
    });
  });

  test("a client with only the system CAs refuses it", async () => {
    const result = await connect({ host: "127.0.0.1", servername: "localhost" });
    assert.equal(result.ok, false);
    assert.equal((result as { code: string }).code, "DEPTH_ZERO_SELF_SIGNED_CERT");
  });

  test("a client pinning a different certificate refuses it", async () => {
    const other = await createSelfSignedCertificate({ commonName: "agent-host", dns: ["localhost"], ips: ["127.0.0.1"] });
    const result = await connect({ host: "127.0.0.1", ca: other.cert, checkServerIdentity: () => undefined });
    assert.equal(result.ok, false);
  });
});
