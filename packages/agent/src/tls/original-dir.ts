/**
 * Switching from the original Rust agent: it keeps its generated certificate in
 * $XDG_CONFIG_HOME/socktop_agent/tls (its code), whereas this agent follows the seed's
 * $XDG_DATA_HOME/socktop_agent/tls. Clients pinned to the original's certificate would
 * be locked out by a freshly generated one, so when the seed's directory holds no pair
 * and the original's does, that pair is used where it is.
 */
import { access } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join, resolve } from "node:path";
import { CERT_FILE, KEY_FILE } from "./paths.js";

/** $XDG_CONFIG_HOME/socktop_agent/tls, or ~/.config/socktop_agent/tls: the original agent's directory. */
export function originalTlsDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CONFIG_HOME;
  // As for XDG_DATA_HOME: a relative value is invalid and ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), ".config");
  return join(base, "socktop_agent", "tls");
}

// node:fs's callback form: this module is part of the start-up file (build.mjs), where
// node:fs/promises would be one more built-in module to load before listening (~3 ms).
function present(path: string): Promise<boolean> {
  return new Promise((settle) => access(path, (error) => settle(error === null)));
}

/**
 * The directory the generated certificate is loaded from: `seedDir`, unless it has
 * neither cert.pem nor key.pem and `originalDir` has both; then `originalDir`, said in
 * one line. A half pair in the seed's directory stays the seed's business (its error
 * names the missing file); a half pair in the original's is not taken.
 */
export async function chooseTlsDir(seedDir: string, originalDir: string | null, info: (line: string) => void): Promise<string> {
  if (originalDir === null || resolve(originalDir) === resolve(seedDir)) return seedDir;
  const [seedCert, seedKey] = await Promise.all([present(join(seedDir, CERT_FILE)), present(join(seedDir, KEY_FILE))]);
  if (seedCert || seedKey) return seedDir;
  const [cert, key] = await Promise.all([present(join(originalDir, CERT_FILE)), present(join(originalDir, KEY_FILE))]);
  if (!cert || !key) return seedDir;
  info(
    `no certificate in ${seedDir}; using the original socktop_agent's certificate in ${originalDir}, so clients pinned to it keep working (move it to ${seedDir} to silence this line)`,
  );
  return originalDir;
}
