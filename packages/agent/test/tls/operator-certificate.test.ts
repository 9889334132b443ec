/** Operator-supplied certificates (--tls-cert/--tls-key) and where the generated pair lives by default. */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate, generateKeyPairSync } from "node:crypto";
import { chmodSync, existsSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import tls from "node:tls";
import { defaultTlsDir, loadOperatorCertificate } from "../../src/tls/certificate.js";
import { createSelfSignedCertificate } from "../../src/tls/self-signed.js";
import { DAY, collector, expectCertError, tempDir } from "../helpers/tls-files.js";

describe("loadOperatorCertificate", () => {
  /** An RSA pair made the way an operator's tools would, to show any key type is accepted. */
  async function rsaPair(notAfter: Date, bits = 1024): Promise<{ cert: string; key: string }> {
    await import("reflect-metadata");
    const x509 = await import("@peculiar/x509");
    const { webcrypto, KeyObject } = await import("node:crypto");
    const algorithm = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256", publicExponent: new Uint8Array([1, 0, 1]), modulusLength: bits };
    const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
    const cert = await x509.X509CertificateGenerator.createSelfSigned(
      { name: "CN=operator.example", keys, signingAlgorithm: algorithm, notBefore: new Date(Date.now() - DAY), notAfter },
      webcrypto,
    );
    return {
      cert: cert.toString("pem") + "\n",
      key: KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString(),
    };
  }

  function writePair(pair: { cert: string; key: string }, keyMode = 0o600): { certFile: string; keyFile: string } {
    const dir = tempDir();
    const certFile = join(dir, "op-cert.pem");
    const keyFile = join(dir, "op-key.pem");
    writeFileSync(certFile, pair.cert, { mode: 0o644 });
    writeFileSync(keyFile, pair.key, { mode: keyMode });
    chmodSync(keyFile, keyMode);
    return { certFile, keyFile };
  }

  test("loads an RSA pair, full chain text included, without touching the files", async () => {
    const pair = await rsaPair(new Date(Date.now() + 300 * DAY));
    const extra = await createSelfSignedCertificate({ commonName: "intermediate", dns: [], ips: [] });
    const chain = { cert: pair.cert + extra.cert, key: pair.key };
    const { certFile, keyFile } = writePair(chain);
    const stamp = statSync(certFile).mtimeMs;
    const logged = collector();
    const material = await loadOperatorCertificate(certFile, keyFile, logged.log);
    assert.equal(material.cert, chain.cert);
    assert.equal(material.key, chain.key);
    assert.equal(material.certPath, certFile);
    assert.equal(material.keyPath, keyFile);
    assert.equal(material.created, false);
    assert.equal(material.replaced, false);
    assert.equal(material.fingerprint256, new X509Certificate(pair.cert).fingerprint256);
    assert.ok(logged.text().includes(material.fingerprint256));
    assert.ok(!logged.text().includes("warning"), logged.text());
    assert.equal(statSync(certFile).mtimeMs, stamp);
    assert.deepEqual(readdirSync(join(certFile, "..")).sort(), ["op-cert.pem", "op-key.pem"]);
    // And it serves.
    tls.createSecureContext({ cert: material.cert, key: material.key });
  });

  test("warns about an expired or soon expiring certificate but still loads it", async () => {
    const soon = writePair(await rsaPair(new Date(Date.now() + 10 * DAY)));
    const logged = collector();
    await loadOperatorCertificate(soon.certFile, soon.keyFile, logged.log);
    assert.match(logged.text(), /warning: TLS certificate .* expires on .* \(in (9|10) days\); renew it/);

    const expired = writePair(await rsaPair(new Date(Date.now() - DAY)));
    const logged2 = collector();
    const material = await loadOperatorCertificate(expired.certFile, expired.keyFile, logged2.log);
    assert.ok(material.notAfter.getTime() < Date.now());
    assert.match(logged2.text(), /warning: TLS certificate .* expired on .*clients will refuse it/);
    assert.ok(existsSync(expired.certFile));
  });

  test("warns about a world-readable key", async () => {
    const files = writePair(await createSelfSignedCertificate({ commonName: "x", dns: [], ips: [] }), 0o644);
    const logged = collector();
    await loadOperatorCertificate(files.certFile, files.keyFile, logged.log);
    assert.match(logged.text(), /warning: TLS private key .* is readable by other users \(mode 0644\)/);
  });

  test("missing, corrupt, encrypted, mismatched and too-weak pairs are refused with the path", async () => {
    const good = await createSelfSignedCertificate({ commonName: "x", dns: [], ips: [] });
    const files = writePair(good);
    await expectCertError(loadOperatorCertificate(files.certFile, files.keyFile + ".nope", () => {}), "CERT_FILE_MISSING", files.keyFile + ".nope");
    await expectCertError(loadOperatorCertificate(files.certFile + ".nope", files.keyFile, () => {}), "CERT_FILE_MISSING", files.certFile + ".nope");

    const der = writePair({ cert: "0\x82\x01\x00binary", key: good.key });
    const derError = await expectCertError(loadOperatorCertificate(der.certFile, der.keyFile, () => {}), "CERT_CORRUPT", der.certFile);
    assert.match(derError.message, /check --tls-cert and --tls-key/);

    const encryptedKey = generateKeyPairSync("ec", {
      namedCurve: "P-256",
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem", cipher: "aes-256-cbc", passphrase: "secret" },
    }).privateKey;
    const encrypted = writePair({ cert: good.cert, key: encryptedKey });
    await expectCertError(loadOperatorCertificate(encrypted.certFile, encrypted.keyFile, () => {}), "KEY_ENCRYPTED", encrypted.keyFile);

    const other = await createSelfSignedCertificate({ commonName: "x", dns: [], ips: [] });
    const mismatched = writePair({ cert: good.cert, key: other.key });
    await expectCertError(loadOperatorCertificate(mismatched.certFile, mismatched.keyFile, () => {}), "CERT_KEY_MISMATCH", mismatched.keyFile);

    const weak = writePair(await rsaPair(new Date(Date.now() + 100 * DAY), 512));
    await expectCertError(loadOperatorCertificate(weak.certFile, weak.keyFile, () => {}), "CERT_REJECTED", weak.certFile);

    const dir = tempDir();
    await expectCertError(loadOperatorCertificate(dir, files.keyFile, () => {}), "CERT_UNREADABLE", dir);
  });

  test("a cert and key in one file work for both options", async () => {
    const pair = await createSelfSignedCertificate({ commonName: "x", dns: [], ips: [] });
    const file = join(tempDir(), "both.pem");
    writeFileSync(file, pair.cert + pair.key, { mode: 0o600 });
    const material = await loadOperatorCertificate(file, file, () => {});
    tls.createSecureContext({ cert: material.cert, key: material.key });
  });
});

describe("defaultTlsDir", () => {
  test("uses $XDG_DATA_HOME when it is an absolute path", () => {
    assert.equal(defaultTlsDir({ XDG_DATA_HOME: "/srv/data", HOME: "/home/u" }), "/srv/data/socktop_agent/tls");
  });

  test("falls back to ~/.local/share when unset, empty or relative", () => {
    assert.equal(defaultTlsDir({ HOME: "/home/u" }), "/home/u/.local/share/socktop_agent/tls");
    assert.equal(defaultTlsDir({ HOME: "/home/u", XDG_DATA_HOME: "" }), "/home/u/.local/share/socktop_agent/tls");
    assert.equal(defaultTlsDir({ HOME: "/home/u", XDG_DATA_HOME: "rel/data" }), "/home/u/.local/share/socktop_agent/tls");
  });

  test("uses the account's home directory when HOME is unset", () => {
    assert.match(defaultTlsDir({}), /\/\.local\/share\/socktop_agent\/tls$/);
  });
});
