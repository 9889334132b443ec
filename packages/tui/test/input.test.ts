/** The input decoder on raw byte sequences, as terminals (xterm, tmux, VTE, the Linux console) send them. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { InputDecoder, type InputEvent } from "../src/input.js";

function keys(events: InputEvent[]): string[] {
  return events.map((e) => (e.type === "key" ? e.name : `mouse:${e.mouse.kind}:${e.mouse.button}@${e.mouse.x},${e.mouse.y}`));
}
const decode = (s: string): string[] => keys(new InputDecoder().feed(s));

test("keys the app uses, in the names it uses", () => {
  const cases: [string, string][] = [
    ["\x1b[A", "UP"],
    ["\x1b[B", "DOWN"],
    ["\x1b[C", "RIGHT"],
    ["\x1b[D", "LEFT"],
    ["\x1bOA", "UP"], // application cursor mode
    ["\x1b[5~", "PAGE_UP"],
    ["\x1b[6~", "PAGE_DOWN"],
    ["\x1b[H", "HOME"],
    ["\x1b[F", "END"],
    ["\x1b[1~", "HOME"], // tmux, Linux console
    ["\x1b[4~", "END"],
    ["\x1b[7~", "HOME"], // rxvt
    ["\x1bOH", "HOME"],
    ["\x1b[Z", "SHIFT_TAB"],
    ["\t", "TAB"],
    ["\r", "ENTER"],
    ["\n", "ENTER"],
    ["\x7f", "BACKSPACE"],
    ["\b", "BACKSPACE"],
    ["\x03", "CTRL_C"],
    ["\x15", "CTRL_U"],
    ["\x1b[3~", "DELETE"],
    ["\x1bOP", "F1"],
    ["\x1b[15~", "F5"],
    ["\x1b[1;5A", "CTRL_UP"],
    ["\x1b[1;2B", "SHIFT_DOWN"],
    ["\x1b[5;3~", "ALT_PAGE_UP"],
  ];
  for (const [bytes, name] of cases) assert.deepEqual(decode(bytes), [name], JSON.stringify(bytes));
});

test("characters: letters, symbols, wide and astral characters are typed as themselves", () => {
  const events = new InputDecoder().feed("aZ/?<>[]日😀");
  assert.deepEqual(keys(events), ["a", "Z", "/", "?", "<", ">", "[", "]", "日", "😀"]);
  assert.ok(events.every((e) => e.type === "key" && e.isCharacter));
  const up = new InputDecoder().feed("\x1b[A")[0]!;
  assert.equal(up.type === "key" && up.isCharacter, false);
});

test("several keys in one read; unknown sequences are swallowed, not typed", () => {
  assert.deepEqual(decode("jj\x1b[Bq"), ["j", "j", "DOWN", "q"]);
  assert.deepEqual(decode("\x1b[I\x1b[O\x1b[?1;2ca"), ["a"]); // focus in/out, a device attributes answer
});

test("a lone Esc is a key only once nothing followed it (flush), and then at once", () => {
  const d = new InputDecoder();
  assert.deepEqual(keys(d.feed("\x1b")), []);
  assert.equal(d.pending, true);
  assert.deepEqual(keys(d.flush()), ["ESCAPE"]);
  assert.equal(d.pending, false);
  assert.deepEqual(keys(d.flush()), []);
  // Esc Esc: the first one is certainly a key.
  assert.deepEqual(keys(d.feed("\x1b\x1b")), ["ESCAPE"]);
  assert.deepEqual(keys(d.flush()), ["ESCAPE"]);
  // Esc then a key in one read (tmux sends "Escape q" so): both keys, in order.
  assert.deepEqual(keys(d.feed("\x1bq")), ["ESCAPE", "q"]);
  assert.deepEqual(keys(d.feed("\x1bOq")), ["ESCAPE", "O", "q"]);
  // Esc, then a sequence that had started but stalled: Esc, then the rest as typed.
  d.feed("\x1b[");
  assert.deepEqual(keys(d.flush()), ["ESCAPE", "["]);
});

test("sequences split across reads at every byte come out whole", () => {
  const stream = "a\x1b[5~\x1b[<0;12;5M\x1b[<0;12;5m\x1b[1;5Ab\x1bOB\x1b[<65;3;4M";
  const whole = decode(stream);
  assert.deepEqual(whole, ["a", "PAGE_UP", "mouse:press:left@11,4", "mouse:release:null@11,4", "CTRL_UP", "b", "DOWN", "mouse:wheel-down:null@2,3"]);
  for (let cut = 1; cut < stream.length; cut++) {
    const d = new InputDecoder();
    const got = [...keys(d.feed(stream.slice(0, cut))), ...keys(d.feed(stream.slice(cut)))];
    assert.deepEqual(got, whole, `cut at ${cut}`);
    assert.equal(d.pending, false);
  }
  // One byte at a time.
  const d = new InputDecoder();
  const got: string[] = [];
  for (const ch of stream) got.push(...keys(d.feed(ch)));
  assert.deepEqual(got, whole);
});

test("SGR mouse (1006): clicks of each button, release, wheel, drag, large coordinates", () => {
  assert.deepEqual(decode("\x1b[<0;1;1M"), ["mouse:press:left@0,0"]);
  assert.deepEqual(decode("\x1b[<1;5;6M"), ["mouse:press:middle@4,5"]);
  assert.deepEqual(decode("\x1b[<2;5;6M"), ["mouse:press:right@4,5"]);
  assert.deepEqual(decode("\x1b[<0;5;6m"), ["mouse:release:null@4,5"]);
  assert.deepEqual(decode("\x1b[<64;10;20M"), ["mouse:wheel-up:null@9,19"]);
  assert.deepEqual(decode("\x1b[<65;10;20M"), ["mouse:wheel-down:null@9,19"]);
  assert.deepEqual(decode("\x1b[<32;300;90M"), ["mouse:drag:left@299,89"]); // beyond column 223, where X10 stops
  assert.deepEqual(decode("\x1b[<4;2;2M"), ["mouse:press:left@1,1"]); // with Shift held
  assert.deepEqual(decode("\x1b[<35;2;2M"), []); // motion without a button: not asked for
  assert.deepEqual(decode("\x1b[<66;2;2M"), []); // horizontal wheel
});

test("X10 mouse, for a terminal that ignores 1006", () => {
  const enc = (n: number): string => String.fromCharCode(n + 32);
  assert.deepEqual(decode(`\x1b[M${enc(0)}${enc(5)}${enc(6)}`), ["mouse:press:left@4,5"]);
  assert.deepEqual(decode(`\x1b[M${enc(3)}${enc(5)}${enc(6)}`), ["mouse:release:null@4,5"]);
  assert.deepEqual(decode(`\x1b[M${enc(65)}${enc(5)}${enc(6)}`), ["mouse:wheel-down:null@4,5"]);
  const d = new InputDecoder();
  assert.deepEqual(keys(d.feed(`\x1b[M${enc(0)}`)), []);
  assert.deepEqual(keys(d.feed(`${enc(5)}${enc(6)}`)), ["mouse:press:left@4,5"]);
});

test("garbage: an endless parameter string is dropped, not buffered forever", () => {
  const d = new InputDecoder();
  assert.deepEqual(keys(d.feed(`\x1b[${"1;".repeat(100)}`)), []);
  assert.equal(d.pending, false);
  assert.deepEqual(keys(d.feed("q")), ["q"]);
});
