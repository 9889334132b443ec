/**
 * TLS material for the agent: the self-signed certificate it generates on
 * first TLS start and reuses afterwards, or the operator's own pair.
 *
 * Clients pin the generated certificate (they are handed cert.pem as their
 * CA), so it is never replaced silently while valid: a changed fingerprint
 * locks every pinned client out. Problems with the files are reported as a
 * CertificateError whose message is one line naming the file and the fix.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from "node:crypto";
import type { Stats } from "node:fs";
import { readFile, rename, stat, unlink } from "node:fs/promises";
import { join, resolve } from "node:path";
import { createSecureContext } from "node:tls";
import { errorCode } from "../fs-util.js";
import { keepBackups, makeDir, stageFile, syncDir } from "./files.js";
import { DAY_MS, createSelfSignedCertificate } from "./self-signed.js";
import { canonicalIp, isValidDnsName, parseExtraSans } from "./names.js";


export interface TlsMaterial {
  /** PEM text of the certificate file (for an operator's file, the whole chain as written). */
  cert: string;
  /** PEM text of the private key. Never log it. */
  key: string;
  /** Absolute path of the certificate file, or null for material that was never on disk. */
  certPath: string | null;
  keyPath: string | null;
  /** SHA-256 fingerprint of the (first) certificate, "AB:CD:...", as X509Certificate.fingerprint256. */
  fingerprint256: string;
  notAfter: Date;
  /** True when this call generated a new pair (first start, or replacement of an expired one). */
  created: boolean;
  /** True when an expired pair was set aside (renamed to *.expired-<date>) and a new one generated. */
  replaced: boolean;
}

export type CertificateErrorCode =
  /** The directory could not be created or written (also: a parent is a file, read-only fs, disk full). */
  | "CERT_DIR_UNWRITABLE"
  /** One file of the pair is missing (or, for operator files, either one). */
  | "CERT_FILE_MISSING"
  /** A file exists but cannot be read (permissions, or it is a directory). */
  | "CERT_UNREADABLE"
  /** The certificate file holds no parsable PEM certificate. */
  | "CERT_CORRUPT"
  /** The key file holds no parsable private key. */
  | "KEY_CORRUPT"
  /** The key file is passphrase-protected; the agent has no way to ask for the passphrase. */
  | "KEY_ENCRYPTED"
  /** The private key does not belong to the certificate. */
  | "CERT_KEY_MISMATCH"
  /** Both parse and match, but OpenSSL refuses to serve them (e.g. a key too small for its security level). */
  | "CERT_REJECTED";

export class CertificateError extends Error {
  override readonly name = "CertificateError";
  readonly code: CertificateErrorCode;
  /** The file or directory the problem is about. */
  readonly path: string;

  constructor(code: CertificateErrorCode, path: string, message: string) {
    super(message);
    this.code = code;
    this.path = path;
  }
}

/**
 * Where log lines go: a plain function (warnings then start with "warning: "),
 * or an object with info/warn such as the agent's Logger, so that warnings
 * survive a quiet mode that drops informational lines.
 */
export type TlsLog = ((line: string) => void) | { info(line: string): void; warn(line: string): void };

// Where the pair lives is in paths.ts, which the configuration loads without this module (node:tls, x509).
export { CERT_FILE, KEY_FILE, defaultTlsDir } from "./paths.js";
import { CERT_FILE, KEY_FILE } from "./paths.js";
export const EXPIRY_WARNING_DAYS = 30;
const KEY_MODE = 0o600;
const CERT_MODE = 0o644;

export interface EnsureCertificateOptions {
  /** Directory holding cert.pem and key.pem; created (0700) when missing. */
  dir: string;
  /** Common name, and a DNS name of the certificate when it is a valid one. */
  hostname: string;
  /** SOCKTOP_AGENT_EXTRA_SANS: comma-separated IP addresses and DNS names. */
  extraSans?: string;
  /** The current time (tests). */
  now?: Date;
  log: TlsLog;
}

/**
 * The agent's self-signed pair in `dir`: loaded and checked when present,
 * generated when absent, regenerated (old pair kept as a backup) when expired.
 */
export async function ensureCertificate(options: EnsureCertificateOptions): Promise<TlsMaterial> {
  const dir = resolve(options.dir);
  const now = options.now ?? new Date();
  const log = levels(options.log);
  const certPath = join(dir, CERT_FILE);
  const keyPath = join(dir, KEY_FILE);

  const extra = parseExtraSans(options.extraSans);
  for (const entry of extra.invalid) {
    log.warn(`ignoring SOCKTOP_AGENT_EXTRA_SANS entry ${JSON.stringify(entry)}: not an IP address or DNS name`);
  }
  const names = certificateNames(options.hostname, extra.dns, extra.ips);
  if (names.hostnameSkipped) {
    log.warn(`hostname ${JSON.stringify(options.hostname)} is not a valid DNS name; it is left out of the certificate's subjectAltName`);
  }

  const [certText, keyText] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (certText === null && keyText === null) {
    const { material } = await generateInto(dir, certPath, keyPath, names, now, null);
    logCreated(log, material, names);
    return material;
  }
  if (certText === null || keyText === null) {
    const [missing, present] = certText === null ? [certPath, keyPath] : [keyPath, certPath];
    throw new CertificateError(
      "CERT_FILE_MISSING",
      missing,
      `${missing} is missing but ${present} exists; restore it, or delete ${present} to generate a new pair (clients must then pin the new ${CERT_FILE})`,
    );
  }

  const advice = `fix it, or delete ${certPath} and ${keyPath} to generate a new pair (clients must then pin the new ${CERT_FILE})`;
  const loaded = checkPair(certText, keyText, certPath, keyPath, advice);

  if (loaded.notAfter.getTime() < now.getTime()) {
    const { material, backup } = await generateInto(dir, certPath, keyPath, names, now, loaded.notAfter);
    log.warn(
      `TLS certificate ${certPath} expired on ${isoDate(loaded.notAfter)}; generated a new one and kept the old pair as ${backup}; clients that pinned the old certificate need the new ${certPath}`,
    );
    logCreated(log, material, names);
    return material;
  }

  log.info(`using TLS certificate ${certPath} (valid until ${loaded.notAfter.toISOString()})`);
  warnAboutValidity(log, certPath, loaded, now, `delete ${certPath} and ${keyPath} to generate a new one now; it is replaced automatically on the first start after it expires`);
  await warnIfKeyExposed(log, keyPath, 0o077);
  const missing = missingNames(loaded.x509, names);
  if (missing.length > 0) {
    log.warn(
      `TLS certificate ${certPath} does not cover ${missing.join(", ")}; delete ${certPath} and ${keyPath} to generate a new one (clients must then pin the new ${CERT_FILE})`,
    );
  }
  return existingPair(log, certText, keyText, certPath, keyPath, loaded);
}

/**
 * The operator's own certificate and key (--tls-cert/--tls-key), any key
 * type, checked like the generated pair and never modified. An expired or
 * not-yet-valid certificate only draws a warning: replacing it is the
 * operator's business, and a renewal may be on its way.
 */
export async function loadOperatorCertificate(certFile: string, keyFile: string, log: TlsLog): Promise<TlsMaterial> {
  const out = levels(log);
  const certPath = resolve(certFile);
  const keyPath = resolve(keyFile);
  const [certText, keyText] = await Promise.all([readIfPresent(certPath), readIfPresent(keyPath)]);
  if (certText === null) {
    throw new CertificateError("CERT_FILE_MISSING", certPath, `TLS certificate ${certPath} (--tls-cert) does not exist`);
  }
  if (keyText === null) {
    throw new CertificateError("CERT_FILE_MISSING", keyPath, `TLS private key ${keyPath} (--tls-key) does not exist`);
  }
  const loaded = checkPair(certText, keyText, certPath, keyPath, "check --tls-cert and --tls-key");
  const now = new Date();
  out.info(`using TLS certificate ${certPath} (valid until ${loaded.notAfter.toISOString()})`);
  if (loaded.notAfter.getTime() < now.getTime()) {
    out.warn(`TLS certificate ${certPath} expired on ${loaded.notAfter.toISOString()}; clients will refuse it until it is renewed`);
  } else {
    warnAboutValidity(out, certPath, loaded, now, "renew it");
  }
  // Group-readable keys are a normal setup (e.g. an ssl-cert group); world-readable ones are not.
  await warnIfKeyExposed(out, keyPath, 0o007);
  return existingPair(out, certText, keyText, certPath, keyPath, loaded);
}

/** A pair found on disk and used as it is (generated before, or the operator's): its fingerprint is logged for pinning. */
function existingPair(log: Levels, cert: string, key: string, certPath: string, keyPath: string, loaded: CheckedPair): TlsMaterial {
  log.info(`TLS certificate SHA-256 fingerprint ${loaded.fingerprint256}`);
  return { cert, key, certPath, keyPath, fingerprint256: loaded.fingerprint256, notAfter: loaded.notAfter, created: false, replaced: false };
}

interface Levels {
  info(line: string): void;
  warn(line: string): void;
}

function levels(log: TlsLog): Levels {
  if (typeof log === "function") return { info: log, warn: (line) => log(`warning: ${line}`) };
  return { info: (line) => log.info(line), warn: (line) => log.warn(line) };
}

interface CertificateNames {
  commonName: string;
  dns: string[];
  ips: string[];
  hostnameSkipped: boolean;
}

function certificateNames(hostname: string, extraDns: readonly string[], extraIps: readonly string[]): CertificateNames {
  const host = hostname.trim();
  const dns: string[] = [];
  const ips: string[] = [];
  let hostnameSkipped = false;
  const hostIp = canonicalIp(host);
  if (hostIp !== null) ips.push(hostIp);
  else if (isValidDnsName(host) && !host.startsWith("*.")) dns.push(host.toLowerCase());
  else hostnameSkipped = host.length > 0;
  // 0.0.0.0 as in the original agent: some users point clients at the address the agent listens on.
  for (const name of ["localhost", ...extraDns]) if (!dns.includes(name)) dns.push(name);
  for (const ip of ["127.0.0.1", "::1", "0.0.0.0", ...extraIps]) if (!ips.includes(ip)) ips.push(ip);
  return { commonName: host.length > 0 ? host : "localhost", dns, ips, hostnameSkipped };
}

interface CheckedPair {
  x509: X509Certificate;
  fingerprint256: string;
  notBefore: Date;
  notAfter: Date;
}

/** Parses both files and proves the key belongs to the certificate and that OpenSSL will serve them. */
function checkPair(certText: string, keyText: string, certPath: string, keyPath: string, advice: string): CheckedPair {
  if (!certText.includes("-----BEGIN CERTIFICATE-----")) {
    throw new CertificateError(
      "CERT_CORRUPT",
      certPath,
      `${certPath} holds no PEM certificate (no "-----BEGIN CERTIFICATE-----" line; a DER file converts with openssl x509 -inform der); ${advice}`,
    );
  }
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(certText);
  } catch {
    throw new CertificateError("CERT_CORRUPT", certPath, `${certPath} is not a valid PEM certificate (it does not parse); ${advice}`);
  }
  if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,ENCRYPTED/.test(keyText)) {
    throw new CertificateError(
      "KEY_ENCRYPTED",
      keyPath,
      `${keyPath} is protected by a passphrase, which the agent cannot ask for; give it an unencrypted copy (openssl pkey -in KEY -out KEY.plain)`,
    );
  }
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(keyText);
  } catch {
    throw new CertificateError("KEY_CORRUPT", keyPath, `${keyPath} is not a valid PEM private key (it does not parse); ${advice}`);
  }
  let matches = false;
  try {
    matches = x509.checkPrivateKey(privateKey);
  } catch {
    // Key types that cannot be compared are as unusable as a wrong key.
  }
  if (!matches) {
    throw new CertificateError("CERT_KEY_MISMATCH", keyPath, `${keyPath} is not the private key of ${certPath}; ${advice}`);
  }
  try {
    createSecureContext({ cert: certText, key: keyText });
  } catch (error) {
    const reason = error instanceof Error ? error.message.replace(/\s+/g, " ") : String(error);
    throw new CertificateError("CERT_REJECTED", certPath, `OpenSSL refuses to serve ${certPath} with ${keyPath} (${reason}); ${advice}`);
  }
  const notBefore = new Date(x509.validFrom);
  const notAfter = new Date(x509.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new CertificateError("CERT_CORRUPT", certPath, `${certPath} has an unreadable validity period; ${advice}`);
  }
  return { x509, fingerprint256: x509.fingerprint256, notBefore, notAfter };
}

function warnAboutValidity(log: Levels, certPath: string, pair: CheckedPair, now: Date, advice: string): void {
  if (pair.notBefore.getTime() > now.getTime()) {
    log.warn(`TLS certificate ${certPath} is not valid before ${pair.notBefore.toISOString()}; clients will refuse it until then (is the system clock right?)`);
    return;
  }
  const days = (pair.notAfter.getTime() - now.getTime()) / DAY_MS;
  if (days < EXPIRY_WARNING_DAYS) {
    log.warn(`TLS certificate ${certPath} expires on ${pair.notAfter.toISOString()} (in ${Math.max(0, Math.floor(days))} days); ${advice}`);
  }
}

async function warnIfKeyExposed(log: Levels, keyPath: string, forbidden: number): Promise<void> {
  let info: Stats;
  try {
    info = await stat(keyPath);
  } catch {
    return;
  }
  const mode = info.mode & 0o777;
  if ((mode & forbidden) !== 0) {
    log.warn(`TLS private key ${keyPath} is readable by other users (mode ${mode.toString(8).padStart(4, "0")}); run chmod 600 ${keyPath}`);
  }
}

/** The configured names that the certificate's subjectAltName lacks (hostname or extra SANs changed since generation). */
function missingNames(x509: X509Certificate, names: CertificateNames): string[] {
  const presentDns = new Set<string>();
  const presentIps = new Set<string>();
  for (const entry of (x509.subjectAltName ?? "").split(", ")) {
    if (entry.startsWith("DNS:")) presentDns.add(entry.slice(4).toLowerCase());
    else if (entry.startsWith("IP Address:")) {
      const ip = canonicalIp(entry.slice(11));
      if (ip !== null) presentIps.add(ip);
    }
  }
  return [...names.dns.filter((n) => !presentDns.has(n)), ...names.ips.filter((ip) => !presentIps.has(ip))];
}

function logCreated(log: Levels, material: TlsMaterial, names: CertificateNames): void {
  log.info(
    `generated a self-signed TLS certificate for ${[...names.dns, ...names.ips].join(", ")}, valid until ${material.notAfter.toISOString()}`,
  );
  log.info(`TLS certificate: ${material.certPath} (give this file to clients, e.g. socktop --tls-ca)`);
  log.info(`TLS private key: ${material.keyPath}`);
  log.info(`TLS certificate SHA-256 fingerprint ${material.fingerprint256}`);
}

/** File contents, or null when it does not exist (ENOTDIR: a parent is a file, reported when writing). */
async function readIfPresent(path: string): Promise<string | null> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    const code = errorCode(error);
    if (code === "ENOENT" || code === "ENOTDIR") return null;
    const why = code === "EISDIR" ? "it is a directory" : `${code ?? "error"}; check its permissions`;
    throw new CertificateError("CERT_UNREADABLE", path, `cannot read ${path} (${why})`);
  }
}

/**
 * Generates a pair and writes it into `dir`. With `expiredOn` set, the
 * current pair is first kept as cert.pem.expired-<date> / key.pem.expired-<date>.
 *
 * Both new files are written completely (temp file with its final mode,
 * fsync) before either final name changes, so a crash or a full disk never
 * leaves a truncated key; the two renames follow each other directly, key
 * first, and the directory is fsynced after them.
 */
async function generateInto(
  dir: string,
  certPath: string,
  keyPath: string,
  names: CertificateNames,
  now: Date,
  expiredOn: Date | null,
): Promise<{ material: TlsMaterial; backup: string | null }> {
  const { cert, key } = await createSelfSignedCertificate({ commonName: names.commonName, dns: names.dns, ips: names.ips, now });
  const parsed = new X509Certificate(cert);
  const staged: string[] = [];
  let backup: string | null = null;
  try {
    await makeDir(dir);
    const tmpKey = await stageFile(dir, KEY_FILE, key, KEY_MODE);
    staged.push(tmpKey);
    const tmpCert = await stageFile(dir, CERT_FILE, cert, CERT_MODE);
    staged.push(tmpCert);
    if (expiredOn !== null) backup = await keepBackups(certPath, keyPath, isoDate(expiredOn));
    await rename(tmpKey, keyPath);
    await rename(tmpCert, certPath);
    staged.length = 0;
    await syncDir(dir);
  } catch (error) {
    await Promise.all(staged.map((path) => unlink(path).catch(() => {})));
    if (error instanceof CertificateError) throw error;
    throw unwritable(dir, error);
  }
  const material: TlsMaterial = {
    cert,
    key,
    certPath,
    keyPath,
    fingerprint256: parsed.fingerprint256,
    notAfter: new Date(parsed.validTo),
    created: true,
    replaced: expiredOn !== null,
  };
  return { material, backup };
}

function unwritable(dir: string, error: unknown): CertificateError {
  const code = errorCode(error);
  const why =
    code === "ENOTDIR"
      ? "a parent path is a file, not a directory"
      : code === "EEXIST"
        ? "it exists and is not a directory"
        : code === "EACCES" || code === "EPERM"
          ? "permission denied"
          : code === "ENOENT"
            ? "the file system does not allow creating it"
            : code === "EROFS"
            ? "read-only file system"
            : code === "ENOSPC"
              ? "no space left on the device"
              : (code ?? (error instanceof Error ? error.message : String(error)));
  return new CertificateError(
    "CERT_DIR_UNWRITABLE",
    dir,
    `cannot write the TLS certificate into ${dir} (${why}); set XDG_DATA_HOME to a writable directory, or pass --tls-cert and --tls-key`,
  );
}

function isoDate(date: Date): string {
  return date.toISOString().slice(0, 10);
}
