/**
 * Writing the generated certificate and key safely: the directory created
 * step by step with mode 0700, files staged with their final mode and
 * fsynced before being renamed into place, expired pairs kept as backups.
 */
import { constants as fsConstants } from "node:fs";
import { chmod, copyFile, link, mkdir, open, stat, unlink } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { dirname, join, resolve } from "node:path";
import { errorCode, exists } from "../fs-util.js";

export const DIR_MODE = 0o700;

/**
 * Creates `dir` and its missing parents, one mkdir each. Not
 * `mkdir({recursive: true})`: on a file system that refuses to create
 * directories with ENOENT (XDG_DATA_HOME=/proc), Node's recursive mkdir
 * retries forever at 100 % CPU; here the first refusal is the error.
 */
export async function makeDir(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let path = resolve(dir); ; path = dirname(path)) {
    if (await exists(path)) break;
    missing.unshift(path);
    if (dirname(path) === path) break;
  }
  for (const path of missing) {
    try {
      await mkdir(path, { mode: DIR_MODE });
    } catch (error) {
      // Another process made it meanwhile: fine. Anything else is reported by the caller.
      if (errorCode(error) !== "EEXIST") throw error;
      continue;
    }
    // An unusual umask may have stripped bits the owner needs; the mode is ours to set on a directory we made.
    await chmod(path, DIR_MODE);
  }
  // A file (not a directory) already there fails here, and is reported by the caller.
  if (!(await stat(dir)).isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: "EEXIST" });
}

export async function stageFile(dir: string, name: string, data: string, mode: number): Promise<string> {
  const path = join(dir, `.${name}.${randomBytes(6).toString("hex")}.tmp`);
  // Created with its final mode so the key is never readable by others, even briefly.
  const handle = await open(path, "wx", mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(data, "utf8");
    await handle.sync();
  } catch (error) {
    await handle.close().catch(() => {});
    await unlink(path).catch(() => {});
    throw error;
  }
  await handle.close();
  return path;
}

/** Hard links (or copies) of the current pair under *.expired-<date>[.N]; returns a description of the names. */
export async function keepBackups(certPath: string, keyPath: string, date: string): Promise<string> {
  for (let n = 0; ; n++) {
    const suffix = n === 0 ? `.expired-${date}` : `.expired-${date}.${n}`;
    const [certBackup, keyBackup] = [certPath + suffix, keyPath + suffix];
    if ((await exists(certBackup)) || (await exists(keyBackup))) continue;
    await preserve(certPath, certBackup);
    await preserve(keyPath, keyBackup);
    return `${certBackup} and ${keyBackup}`;
  }
}

async function preserve(from: string, to: string): Promise<void> {
  try {
    await link(from, to);
  } catch (error) {
    const code = errorCode(error);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "EXDEV") throw error;
    // Some filesystems (FAT, some network mounts) have no hard links.
    await copyFile(from, to, fsConstants.COPYFILE_EXCL);
  }
}

export async function syncDir(dir: string): Promise<void> {
  // Makes the renames durable; some filesystems refuse fsync on a directory, which is harmless.
  try {
    const handle = await open(dir, "r");
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
