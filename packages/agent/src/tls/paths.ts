/**
 * Where the TLS pair lives: what the configuration needs, apart from
 * certificate.ts, which loads node:tls and the x509 code and is imported only
 * when TLS is on.
 */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

export const CERT_FILE = "cert.pem";
export const KEY_FILE = "key.pem";

/** $XDG_DATA_HOME/socktop_agent/tls, or ~/.local/share/socktop_agent/tls. */
export function defaultTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_DATA_HOME;
  // The XDG spec says relative values are invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".local", "share");
  return join(base, "socktop_agent", "tls");
}
