/**
 * Colours. Only the 16 ANSI colours plus the terminal's own default
 * foreground/background are used: terminal themes remap those 16 for dark and
 * light backgrounds alike, whereas fixed 256-colour or RGB values would be
 * unreadable on one of them. Text stays in the default colour; colour marks
 * bars and states. Highlights use reverse video, which works everywhere.
 * With NO_COLOR (https://no-color.org) every colour is dropped and only
 * attributes (bold, dim, reverse, underline) remain.
 */
import type { JournalPriority } from "@socktop/protocol";
import { BOLD, DEFAULT_COLOR, DIM, INVERSE, UNDERLINE, makeStyle, type Style } from "./screen.js";

const RED = 1;
const GREEN = 2;
const YELLOW = 3;
const MAGENTA = 5;
const CYAN = 6;
const BRIGHT_WHITE = 15;

export interface Theme {
  readonly color: boolean;
  text: Style;
  bold: Style;
  muted: Style;
  border: Style;
  title: Style;
  tableHeader: Style;
  tableHeaderSorted: Style;
  selected: Style;
  /** Bar fill by load level. */
  low: Style;
  mid: Style;
  high: Style;
  track: Style;
  graph: Style;
  mem: Style;
  swap: Style;
  rx: Style;
  tx: Style;
  peak: Style;
  ok: Style;
  warn: Style;
  error: Style;
  banner: Style;
  modal: Style;
  modalTitle: Style;
  key: Style;
  filter: Style;
  /** Journal entries by priority (see journalStyle). */
  journalError: Style;
  journalWarning: Style;
  journalDebug: Style;
}

export function createTheme(color: boolean): Theme {
  const c = (fg: number, attrs = 0, bg: number = DEFAULT_COLOR): Style =>
    color ? makeStyle(fg, bg, attrs) : makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, attrs);
  return {
    color,
    text: makeStyle(),
    bold: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, BOLD),
    muted: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, DIM),
    border: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, DIM),
    title: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, BOLD),
    tableHeader: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, BOLD),
    tableHeaderSorted: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, BOLD | UNDERLINE),
    selected: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, INVERSE),
    low: c(GREEN),
    mid: c(YELLOW),
    high: c(RED, BOLD),
    track: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, DIM),
    graph: c(CYAN),
    mem: c(MAGENTA),
    swap: c(YELLOW),
    rx: c(GREEN),
    tx: c(CYAN),
    peak: c(RED, BOLD),
    ok: c(GREEN, BOLD),
    // Yellow text is unreadable on light backgrounds: yellow only ever fills bars.
    warn: c(MAGENTA, BOLD),
    error: c(RED, BOLD),
    // An explicit background makes the banner readable whatever the theme;
    // without colour, reverse video does the same job.
    banner: color ? makeStyle(BRIGHT_WHITE, RED, BOLD) : makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, INVERSE | BOLD),
    modal: makeStyle(),
    modalTitle: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, BOLD),
    key: c(CYAN, BOLD),
    filter: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, BOLD | UNDERLINE),
    // Bold keeps errors apart from the rest under NO_COLOR too.
    journalError: c(RED, BOLD),
    // The one place yellow is text: warnings are yellow in every journal
    // viewer (journalctl itself), which is what users look for.
    journalWarning: c(YELLOW),
    journalDebug: makeStyle(DEFAULT_COLOR, DEFAULT_COLOR, DIM),
  };
}

/** NO_COLOR set to any non-empty value disables colour (per no-color.org). */
export function colorEnabled(env: NodeJS.ProcessEnv): boolean {
  return !(env.NO_COLOR !== undefined && env.NO_COLOR !== "");
}

/** The bar colour for a load percentage. */
export function levelStyle(theme: Theme, percent: number): Style {
  if (percent >= 85) return theme.high;
  if (percent >= 60) return theme.mid;
  return theme.low;
}

/** Emergency to Error red, Warning yellow, Notice and Info plain, Debug dim. */
export function journalStyle(theme: Theme, priority: JournalPriority | string): Style {
  switch (priority) {
    case "Emergency":
    case "Alert":
    case "Critical":
    case "Error":
      return theme.journalError;
    case "Warning":
      return theme.journalWarning;
    case "Debug":
      return theme.journalDebug;
    default:
      return theme.text;
  }
}
