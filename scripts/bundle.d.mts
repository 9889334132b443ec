/** Types of scripts/bundle.mjs for the tests that import it. */
export declare const ROOT: string;
export declare const BUNDLE_BUDGET_BYTES: number;
export declare function buildBundle(options?: {
  outDir?: string;
  sea?: boolean;
  log?: (line: string) => void;
}): Promise<{ bundle: string; bundleBytes: number; /** modules the bundle loads at run time */ imports: string[]; sea: string | null; seaBytes: number | null }>;
