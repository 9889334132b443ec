/** Materialises a fixture file tree (path → content; `{}` for an empty directory) under a fresh temporary directory. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

export type TreeSpec = Record<string, string | Record<string, never>>;

const made: string[] = [];

export function materialise(spec: TreeSpec, prefix = "socktop-tree-"): string {
  const root = mkdtempSync(join(tmpdir(), prefix));
  made.push(root);
  for (const [path, content] of Object.entries(spec)) {
    const full = join(root, path);
    if (typeof content === "string") {
      mkdirSync(dirname(full), { recursive: true });
      writeFileSync(full, content);
    } else {
      mkdirSync(full, { recursive: true });
    }
  }
  return root;
}

/** Removes every tree made so far (call from after()). */
export function removeTrees(): void {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
}
