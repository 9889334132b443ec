/** Self-signed ECDSA certificates for TLS tests, made like the agent's own (P-256, SANs localhost/127.0.0.1/::1). */
import "reflect-metadata";
import { webcrypto, X509Certificate, createPrivateKey, KeyObject } from "node:crypto";
import { rmSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as x509 from "@peculiar/x509";

export interface TestCertificate {
  cert: string;
  key: string;
  /** The certificate written to a temporary file, as a user would pass it to tlsCa. */
  certPath: string;
}

export async function makeCertificate(commonName = "socktop-test", dnsNames: string[] = ["localhost"], ips: string[] = ["127.0.0.1", "::1"]): Promise<TestCertificate> {
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"])) as webcrypto.CryptoKeyPair;
  const now = Date.now();
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString("hex"),
      name: `CN=${commonName}`,
      notBefore: new Date(now - 5 * 60_000),
      notAfter: new Date(now + 86_400_000),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([
          ...dnsNames.map((value) => ({ type: "dns" as const, value })),
          ...ips.map((value) => ({ type: "ip" as const, value })),
        ]),
      ],
    },
    // Node's webcrypto is the standard Crypto; the DOM and Node typings just spell it differently.
    webcrypto as unknown as NonNullable<Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1]>,
  );
  const cert = new X509Certificate(Buffer.from(certificate.rawData)).toString();
  const pkcs8 = await webcrypto.subtle.exportKey("pkcs8", keys.privateKey);
  const key = (createPrivateKey({ key: Buffer.from(pkcs8), format: "der", type: "pkcs8" }) as KeyObject).export({ type: "pkcs8", format: "pem" }).toString();
  const dir = await mkdtemp(join(tmpdir(), "socktop-connector-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const certPath = join(dir, "cert.pem");
  await writeFile(certPath, cert);
  return { cert, key, certPath };
}
