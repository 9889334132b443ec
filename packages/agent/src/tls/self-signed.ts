/** Generating the agent's self-signed certificate (nothing written to disk here). */
import { KeyObject, X509Certificate, randomBytes, webcrypto } from "node:crypto";

/**
 * Node's WebCrypto as @peculiar/x509 types it (the global `Crypto`): the two
 * declarations differ only when a program also loads the DOM types (the
 * dashboard's tests do), where they are not assignable to each other.
 */
const x509Crypto = webcrypto as unknown as NonNullable<Parameters<X509Module["SubjectKeyIdentifierExtension"]["create"]>[2]>;

export const VALIDITY_DAYS = 397;
export const DAY_MS = 86_400_000;
/** Back-dating absorbs clock skew between the agent and its clients. */
const BACKDATE_MS = 5 * 60_000;

export interface SelfSignedOptions {
  commonName: string;
  dns: readonly string[];
  ips: readonly string[];
  now?: Date;
  validityDays?: number;
}

/**
 * A fresh ECDSA P-256 / SHA-256 self-signed certificate and its PKCS#8 key,
 * both PEM, nothing written to disk.
 *
 * The certificate is an end-entity one (basicConstraints cA:false) although
 * clients use it as their trust anchor: OpenSSL (Node, Python, curl) accepts
 * a self-signed leaf as its own anchor either way, whereas rustls/webpki, as
 * used by the original socktop client, refuses a cA:true certificate
 * presented by a server ("CaUsedAsEndEntity").
 */
export async function createSelfSignedCertificate(options: SelfSignedOptions): Promise<{ cert: string; key: string }> {
  const x509 = await loadX509();
  const now = options.now ?? new Date();
  const algorithm = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ["sign", "verify"]);
  const altNames = [
    ...options.dns.map((value) => ({ type: "dns" as const, value })),
    ...options.ips.map((value) => ({ type: "ip" as const, value })),
  ];
  const certificate = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerial(),
      name: [{ CN: [options.commonName] }],
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + (options.validityDays ?? VALIDITY_DAYS) * DAY_MS),
      keys,
      signingAlgorithm: algorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension(altNames),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
        // Strict verifiers (OpenSSL's X509_STRICT, Python 3.13 defaults) look for it.
        await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey, false, x509Crypto),
      ],
    },
    x509Crypto,
  );
  // Re-encoding through OpenSSL gives the PEM layout every tool expects.
  const cert = new X509Certificate(Buffer.from(certificate.rawData)).toString();
  const key = KeyObject.from(keys.privateKey).export({ type: "pkcs8", format: "pem" }).toString();
  return { cert, key };
}

type X509Module = typeof import("@peculiar/x509");
let x509Module: Promise<X509Module> | null = null;

/**
 * The X.509 library costs ~200 ms to import, paid only when a certificate is
 * generated rather than on every start. reflect-metadata must be evaluated
 * first, or the library throws while loading.
 */
function loadX509(): Promise<X509Module> {
  x509Module ??= import("reflect-metadata").then(() => import("@peculiar/x509"));
  return x509Module;
}

/** 16 random bytes, positive and minimally encoded as a DER INTEGER (RFC 5280 allows up to 20). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x40;
  return bytes.toString("hex");
}
