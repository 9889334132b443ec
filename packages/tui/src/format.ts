/**
 * Number and text formatting for the screen. Everything here is pure and
 * width-aware, so panels can promise never to spill into their neighbours.
 */

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"] as const;
const SHORT_UNITS = ["B", "K", "M", "G", "T", "P"] as const;

function scale(bytes: number): { value: number; unit: number } {
  let value = Math.max(0, bytes);
  let unit = 0;
  // Step up at 1000 rather than 1024 so a value never needs four digits
  // (e.g. "1010 MiB" becomes "1.0 GiB"), which keeps columns narrow.
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return { value, unit };
}

function digits(value: number, unit: number): string {
  if (unit === 0) return String(Math.round(value));
  return value < 10 ? value.toFixed(1) : String(Math.round(value));
}

/**
 * Names in order, ignoring case (process names, host names, profile names).
 * Not localeCompare: its first call pages in ICU's collation data, which
 * stays resident (the fleet view, side by side over 3 rounds of 45 s with
 * bench/ab-tui.mjs: RSS max median 66.0 MB with localeCompare, 62.6 MB
 * without; CPU the same within noise).
 */
export function compareNames(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Human bytes with binary units: "0 B", "512 B", "4.0 KiB", "5.2 GiB", "312 MiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return "–";
  const { value, unit } = scale(bytes);
  return `${digits(value, unit)} ${UNITS[unit]}`;
}

/** Compact bytes for table cells: "512B", "4.0K", "312M", "5.2G" (at most 4 characters). */
export function formatBytesShort(bytes: number | null | undefined): string {
  if (bytes == null || !Number.isFinite(bytes)) return "–";
  const { value, unit } = scale(bytes);
  return `${digits(value, unit)}${SHORT_UNITS[unit]}`;
}

/** A transfer rate: "0 B/s", "1.2 MiB/s". */
export function formatRate(bytesPerSecond: number | null | undefined): string {
  if (bytesPerSecond == null || !Number.isFinite(bytesPerSecond)) return "–";
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Percent with one decimal below 100 ("3.4%", "100%"); "–" when unknown. */
export function formatPercent(value: number | null | undefined, decimals = 1): string {
  if (value == null || !Number.isFinite(value)) return "–";
  const v = Math.max(0, value);
  if (v >= 99.95) return "100%";
  // Whole percents (the fleet view's, bars' labels) come from a table: toFixed(0)
  // rounds half up for v ≥ 0, as Math.round does, so the text is the same.
  if (decimals === 0) return WHOLE_PERCENTS[Math.round(v)]!;
  return `${v.toFixed(decimals)}%`;
}

const WHOLE_PERCENTS = Array.from({ length: 101 }, (_, i) => `${i}%`);

/** Degrees Celsius, rounded: "54°C". */
export function formatTemp(celsius: number | null | undefined): string {
  if (celsius == null || !Number.isFinite(celsius)) return "";
  return `${Math.round(celsius)}°C`;
}

/** Coarse elapsed time: "4s", "3m 12s", "2h 5m", "3d 4h". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${s % 60}s`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h ${m % 60}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Local wall clock as HH:MM:SS. */
export function formatClock(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, "0");
  return `${p(date.getHours())}:${p(date.getMinutes())}:${p(date.getSeconds())}`;
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"] as const;

/** Local date and time as journalctl's short format writes it: "May 17 13:37:42". */
export function formatShortDate(date: Date): string {
  return `${MONTHS[date.getMonth()]} ${String(date.getDate()).padStart(2, " ")} ${formatClock(date)}`;
}

/** A moment earlier today as "13:37:42", an older one as "May 17 13:37". */
export function formatSince(date: Date, now: Date): string {
  const sameDay = date.getFullYear() === now.getFullYear() && date.getMonth() === now.getMonth() && date.getDate() === now.getDate();
  return sameDay ? formatClock(date) : formatShortDate(date).slice(0, -3);
}

/**
 * CPU time from microseconds, like top's TIME+: "0:01.23", "12:34.56", then
 * "2h03m" and "3d04h" so the column never needs more than 8 cells.
 */
export function formatCpuTime(micros: number | null | undefined): string {
  if (micros == null || !Number.isFinite(micros)) return "–";
  const cs = Math.floor(Math.max(0, micros) / 10_000);
  const s = Math.floor(cs / 100);
  const m = Math.floor(s / 60);
  const p = (n: number): string => String(n).padStart(2, "0");
  if (m < 100) return `${m}:${p(s % 60)}.${p(cs % 100)}`;
  const h = Math.floor(m / 60);
  if (h < 100) return `${h}h${p(m % 60)}m`;
  return `${Math.floor(h / 24)}d${p(h % 24)}h`;
}

/**
 * Terminal cell width of one code point: 0 for combining marks and
 * zero-width characters, 2 for East Asian wide/fullwidth and emoji, 1 otherwise.
 * A table of the common ranges, not full Unicode: process names are mostly ASCII,
 * and an occasional misjudged symbol costs one cell, not a broken layout.
 */
export function charWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if (
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x200b && cp <= 0x200f) ||
    (cp >= 0x20d0 && cp <= 0x20ff) ||
    (cp >= 0xfe00 && cp <= 0xfe0f) ||
    cp === 0xfeff
  ) {
    return 0;
  }
  if (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0x303e) ||
    (cp >= 0x3041 && cp <= 0x33ff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0xa000 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  ) {
    return 2;
  }
  return 1;
}

/** Cell width of a string (after `sanitize`). */
export function textWidth(text: string): number {
  // By code unit, not `for…of`: iterating yields a new string for every
  // character outside Latin-1 (bars, borders, arrows), and frames measure text often.
  let w = 0;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    let cp = text.charCodeAt(i);
    if (cp < 0x300) {
      w++;
      continue;
    }
    if (cp >= 0xd800 && cp <= 0xdbff && i + 1 < n) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo <= 0xdfff) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    }
    w += charWidth(cp);
  }
  return w;
}

/**
 * Replace control characters (a process may name itself "\x1b[2J") with "?",
 * so nothing from the agent can move the cursor or change terminal modes.
 */
export function sanitize(text: string): string {
  // A scan by code unit first: names are almost always clean, and this runs for every name of every frame.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // eslint-disable-next-line no-control-regex
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return text.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
  }
  return text;
}

/** Cut to at most `width` cells, ending with "…" when something was cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  if (textWidth(text) <= width) return text;
  // Where the kept part ends, by code unit (see textWidth), then one slice.
  let w = 0;
  let end = 0;
  const n = text.length;
  while (end < n) {
    let cp = text.charCodeAt(end);
    let units = 1;
    if (cp >= 0xd800 && cp <= 0xdbff && end + 1 < n && (text.charCodeAt(end + 1) & 0xfc00) === 0xdc00) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (text.charCodeAt(end + 1) - 0xdc00);
      units = 2;
    }
    const cw = charWidth(cp);
    if (w + cw > width - 1) break;
    w += cw;
    end += units;
  }
  return text.slice(0, end) + "…";
}

/** Pad (or cut) to exactly `width` cells. */
export function fit(text: string, width: number, align: "left" | "right" = "left"): string {
  const t = truncate(text, width);
  const pad = width - textWidth(t);
  if (pad <= 0) return t;
  return align === "left" ? t + " ".repeat(pad) : " ".repeat(pad) + t;
}

/** Hide the secret of a `?token=` query parameter so URLs can be shown. */
export function redactUrl(url: string): string {
  return url.replace(/([?&]token=)[^&#]*/gi, "$1•••");
}

/** "host:port" of a ws:// URL, for compact display. */
export function hostPort(url: string): string {
  try {
    const u = new URL(url);
    return u.host || url;
  } catch {
    return redactUrl(url);
  }
}

/** The host alone ("[::1]" keeps its brackets), for messages about name resolution. */
export function hostOf(url: string): string {
  try {
    return new URL(url).hostname || hostPort(url);
  } catch {
    return hostPort(url);
  }
}
