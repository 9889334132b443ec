/** Types of scripts/pack.mjs for the tests that import it. */
export declare const ROOT: string;
export declare const PACKAGES: readonly string[];
export interface PackedTarball {
  name: string;
  version: string;
  /** Workspace folder under packages/. */
  dir: string;
  /** Absolute path of the .tgz. */
  file: string;
  size: number;
  unpackedSize: number;
  /** Paths inside the tarball's package/ folder, sorted. */
  files: string[];
}
export declare function publishedManifest(manifest: Record<string, unknown>): Record<string, unknown>;
export declare function packAll(options?: { outDir?: string; log?: (line: string) => void }): PackedTarball[];
