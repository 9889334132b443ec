/**
 * The one command-line rule both socktop programs follow (socktop_agent and
 * the socktop TUI, which imports this as `@socktop/agent/cli-args`):
 * Node's `util.parseArgs` in strict mode, and one wording for its refusals.
 *
 * - an unknown option is refused: "unknown option '--x' (see --help)";
 * - a switch (boolean option) given a value, `--flag=value`, is refused rather
 *   than honoured or silently turned on: "--enableSSL takes no value";
 * - an option that takes a value must get one, and a value that looks like an
 *   option (`--profile --save`) is refused: "--profile needs a value";
 * - a value option given twice is refused unless declared `multiple`
 *   (parseArgs would otherwise keep the last one without a word).
 *
 * The caller prefixes its own name ("socktop: …", "socktop_agent: …") and
 * exits with status 2. This module imports nothing but node:util, so the TUI
 * loads no agent code through it.
 */
import { parseArgs, type ParseArgsConfig } from "node:util";

export type OptionsConfig = NonNullable<ParseArgsConfig["options"]>;

/** A refused command line; `message` is one line without the program name. */
export class CommandLineError extends Error {
  override readonly name = "CommandLineError";
}

type Parsed<O extends OptionsConfig> = ReturnType<typeof parseArgs<{ args: string[]; options: O; strict: true; allowPositionals: true }>>;

/**
 * Parse `argv` strictly against `options`. Positionals are returned for the
 * caller to judge (subcommands, a URL); pass `allowPositionals: false` to
 * refuse them here.
 */
export function parseCommandLine<const O extends OptionsConfig>(
  argv: readonly string[],
  options: O,
  settings: { allowPositionals?: boolean } = {},
): Parsed<O> {
  const allowPositionals = settings.allowPositionals ?? true;
  // One lenient parse, its tokens judged here: the refusals get our wording (Node's differs
  // between versions), and what passes is exactly what a strict parse would accept, so its
  // values are the strict parse's (a second, strict parse was ~2 ms of each start-up).
  const { values, positionals, tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const problem = findProblem(tokens, options, allowPositionals);
  if (problem) throw new CommandLineError(problem);
  return { values, positionals } as Parsed<O>;
}

type Token = ReturnType<typeof parseArgs<{ options: OptionsConfig; strict: false; allowPositionals: true; tokens: true }>>["tokens"][number];

function findProblem(tokens: readonly Token[], options: OptionsConfig, allowPositionals: boolean): string | null {
  const seen = new Set<string>();
  for (const token of tokens) {
    if (token.kind === "positional") {
      if (!allowPositionals) return `unexpected argument '${token.value}' (see --help)`;
      continue;
    }
    if (token.kind !== "option") continue;
    const config = options[token.name];
    // rawName is what the user typed: "--x" for "--x=1", "-x" inside "-abx".
    if (!config) return `unknown option '${token.rawName}' (see --help)`;
    const label = token.rawName;
    if (config.type === "boolean") {
      if (token.value !== undefined) return `${label} takes no value`;
      continue;
    }
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith("-") && token.value.length > 1)) {
      return `${label} needs a value`;
    }
    if (!config.multiple) {
      if (seen.has(token.name)) return `${label} may be given only once`;
      seen.add(token.name);
    }
  }
  return null;
}
