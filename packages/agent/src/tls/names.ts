/**
 * Validation of the names that go into the generated certificate's
 * subjectAltName. Kept apart from certificate generation so that parsing
 * SOCKTOP_AGENT_EXTRA_SANS does not load the X.509 library.
 */
import { isIP } from "node:net";

/** The result of parsing a comma-separated list of extra subject alternative names. */
export interface ExtraSans {
  /** DNS names, lowercased, without duplicates (may start with "*."). */
  dns: string[];
  /** IP addresses in canonical form ("::1", not "0:0:0:0:0:0:0:1"), without duplicates. */
  ips: string[];
  /** Entries that are neither, as written (trimmed). */
  invalid: string[];
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * A DNS name as a certificate may carry it: RFC 1123 labels, at most 253
 * characters, optionally a leading "*." wildcard label. A name whose last
 * label is all digits is refused: it is almost always a mistyped IPv4
 * address ("10.0.0.256"), and certificate verifiers reject such names.
 */
export function isValidDnsName(name: string): boolean {
  let rest = name.toLowerCase();
  if (rest.startsWith("*.")) rest = rest.slice(2);
  if (rest.length === 0 || rest.length > 253) return false;
  const labels = rest.split(".");
  if (!labels.every((label) => LABEL.test(label))) return false;
  return !/^[0-9]+$/.test(labels[labels.length - 1]);
}

/**
 * The canonical text of an IP address, or null when `value` is not one.
 * Zone ids ("fe80::1%eth0") are refused: a certificate cannot carry them,
 * although net.isIP accepts them.
 */
export function canonicalIp(value: string): string | null {
  let text = value;
  if (text.startsWith("[") && text.endsWith("]")) text = text.slice(1, -1);
  if (text.includes("%")) return null;
  const family = isIP(text);
  if (family === 4) return text;
  if (family === 6) {
    // The WHATWG URL parser compresses IPv6 the same way everywhere, which
    // makes "0:0::1" and "::1" compare equal.
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  }
  return null;
}

/** Parses SOCKTOP_AGENT_EXTRA_SANS: comma-separated IP addresses and DNS names. */
export function parseExtraSans(value: string | undefined): ExtraSans {
  const result: ExtraSans = { dns: [], ips: [], invalid: [] };
  if (value === undefined) return result;
  for (const raw of value.split(",")) {
    const entry = raw.trim();
    if (entry.length === 0) continue;
    const ip = canonicalIp(entry);
    if (ip !== null) {
      if (!result.ips.includes(ip)) result.ips.push(ip);
    } else if (isValidDnsName(entry)) {
      const dns = entry.toLowerCase();
      if (!result.dns.includes(dns)) result.dns.push(dns);
    } else {
      result.invalid.push(entry);
    }
  }
  return result;
}
