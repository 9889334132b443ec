/**
 * uid → user name from the passwd file, for process rows and details.
 *
 * Only the local file is read: names that come from NSS (LDAP, sssd,
 * systemd-homed) would need getpwuid(), a blocking libc call Node does not
 * expose, so those users show as null (the uid is still sent).
 */
import { statSync, type Stats } from "node:fs";
import { readWholeFileSync } from "./procfs.js";

/** Bytes read as latin1 (lossless) re-read as UTF-8, which user names are in practice. */
function utf8(latin1: string): string {
  return /[\x80-\xff]/.test(latin1) ? Buffer.from(latin1, "latin1").toString("utf8") : latin1;
}

/** Parses passwd text ("name:x:uid:gid:…"). The first entry for a uid wins, as getpwuid does. */
export function parsePasswd(text: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(":");
    if (fields.length < 3) continue;
    const name = fields[0] as string;
    const uid = fields[2] as string;
    if (name === "" || !/^[0-9]+$/.test(uid)) continue;
    const id = Number(uid);
    if (!names.has(id)) names.set(id, utf8(name));
  }
  return names;
}

/**
 * User names from a passwd file, read once and parsed again only when the
 * file changes (checked at most once per {@link refresh} call, which a scan
 * makes once, not once per process).
 */
export class PasswdNames {
  /** Inode, size and mtime of the file as last read (inode -1: absent; NaN: never read). */
  private ino = Number.NaN;
  private size = Number.NaN;
  private mtimeMs = Number.NaN;
  private names = new Map<number, string>();
  /** Bumped whenever the names were read again, so that callers may cache lookups per generation. */
  generation = 0;

  /** `path` is the passwd file itself; see {@link passwdPathFor} for a root directory. */
  constructor(private readonly path = "/etc/passwd") {}

  /** Re-reads the file when its inode, size or mtime changed. Cheap: one stat(), compared as numbers. */
  refresh(): void {
    let s: Stats | undefined;
    try {
      s = statSync(this.path);
    } catch {
      s = undefined; // absent or unreadable: no names
    }
    const ino = s === undefined ? -1 : s.ino;
    const size = s === undefined ? 0 : s.size;
    const mtimeMs = s === undefined ? 0 : s.mtimeMs;
    if (ino === this.ino && size === this.size && mtimeMs === this.mtimeMs) return;
    const text = s === undefined ? null : readWholeFileSync(this.path);
    this.names = text === null ? new Map() : parsePasswd(text);
    this.ino = ino;
    this.size = size;
    this.mtimeMs = mtimeMs;
    this.generation++;
  }

  /** The name of `uid` as of the last refresh; null when the file does not list it. */
  cached(uid: number): string | null {
    return this.names.get(uid) ?? null;
  }

  /** Refresh, then look up: for one-off lookups (process details). */
  lookup(uid: number): string | null {
    this.refresh();
    return this.cached(uid);
  }
}

/** The passwd file under a root directory ("/" for the machine, a fixture tree in tests). */
export function passwdPathFor(root: string): string {
  return `${root.replace(/\/+$/, "")}/etc/passwd`;
}
