/** Temporary directories, log collection and error checks shared by the TLS certificate tests. */
import { after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CertificateError, type CertificateErrorCode } from "../../src/tls/certificate.js";

export const DAY = 86_400_000;
const roots: string[] = [];

export function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "socktop-tls-"));
  roots.push(dir);
  return dir;
}

after(() => {
  for (const dir of roots) rmSync(dir, { recursive: true, force: true });
});

/** Collects log lines; `text` joins them for substring checks. */
export function collector(): { lines: string[]; log: (line: string) => void; text: () => string } {
  const lines: string[] = [];
  return { lines, log: (line) => lines.push(line), text: () => lines.join("\n") };
}

export const mode = (path: string): number => statSync(path).mode & 0o777;

export async function expectCertError(promise: Promise<unknown>, code: CertificateErrorCode, mentions: string): Promise<CertificateError> {
  let caught: unknown;
  await assert.rejects(promise, (error: unknown) => {
    caught = error;
    return true;
  });
  assert.ok(caught instanceof CertificateError, `expected a CertificateError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.ok(caught.message.includes(mentions), `message should mention ${mentions}: ${caught.message}`);
  assert.ok(!caught.message.includes("\n"), "the message is one line");
  return caught;
}
