/** Self-signed certificates for TLS tests: the agent's own generator, written to a temporary file a user would pass as tlsCa. */
import { rmSync } from "node:fs";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSelfSignedCertificate } from "../../../agent/src/tls/self-signed.js";

export interface TestCertificate {
  cert: string;
  key: string;
  /** The certificate written to a temporary file, as a user would pass it to tlsCa. */
  certPath: string;
}

export async function makeCertificate(commonName = "socktop-test", dnsNames: string[] = ["localhost"], ips: string[] = ["127.0.0.1", "::1"]): Promise<TestCertificate> {
  const { cert, key } = await createSelfSignedCertificate({ commonName, dns: dnsNames, ips });
  const dir = await mkdtemp(join(tmpdir(), "socktop-connector-tls-"));
  process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  const certPath = join(dir, "cert.pem");
  await writeFile(certPath, cert);
  return { cert, key, certPath };
}
