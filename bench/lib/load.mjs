/** Runs bench/lib/load-worker.mjs as a separate process and follows its JSON lines. */
import { join } from "node:path";
import { startProcess } from "./util.mjs";

export function runLoad(ctx, { url, clients, durationMs, windowMs = 10_000, kinds = null, onConnected = () => {}, onWindow = () => {} }) {
  const worker = startProcess(
    process.execPath,
    [join(ctx.benchDir, "lib", "load-worker.mjs"), JSON.stringify({ url, clients, durationMs, windowMs, kinds })],
    { label: "load-worker" },
  );
  return new Promise((resolve, reject) => {
    let buffer = "";
    let final = null;
    let connected = null;
    worker.child.stdout.on("data", (chunk) => {
      buffer += chunk.toString();
      let nl;
      while ((nl = buffer.indexOf("\n")) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        let msg;
        try {
          msg = JSON.parse(line);
        } catch {
          continue;
        }
        if (msg.type === "connected") {
          connected = msg;
          onConnected(msg);
        } else if (msg.type === "window") onWindow(msg);
        else if (msg.type === "final") final = msg;
      }
    });
    worker.exited.then(async ({ code, signal }) => {
      await worker.stop();
      if (final) resolve({ ...final, connect: connected });
      else reject(new Error(`load worker ended without a result (${code ?? signal}): ${worker.output().slice(-1500)}`));
    });
  });
}
