/** Small file-system helpers shared by the TLS files and the collectors. */
import { stat } from "node:fs/promises";

/** Whether anything exists at `path` (false on any error: missing, no permission, a parent not a directory). */
export async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/** The errno code of a Node file-system error ("ENOENT", …), if it has one. */
export function errorCode(error: unknown): string | undefined {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") return error.code;
  return undefined;
}
