/**
 * The browser platform: the native WebSocket and DecompressionStream, nothing
 * from Node. Browsers hide the upgrade headers, so the agent is identified by
 * the link's first frame (see `discovery: "first-frame"`): one handshake with
 * no subprotocol, which every agent accepts.
 */
import { ConnectionFailedError, InvalidUrlError, TimeoutError, TlsError, describe } from "./errors.js";
import type { ResolvedOptions } from "./options.js";
import type { Frame, OpenRequest, Platform, PreparedPlatform, Transport, TransportEvents } from "./transport.js";

class BrowserTransport implements Transport {
  readonly headers = null;

  constructor(private readonly socket: WebSocket) {}

  send(text: string): void {
    this.socket.send(text);
  }

  close(code?: number, reason?: string): void {
    this.socket.close(code, reason);
  }

  terminate(): void {
    // Browsers have no abortive close; a normal close stops delivery just the same.
    this.socket.close();
  }
}

function open(request: OpenRequest, events: TransportEvents): Promise<Transport> {
  const { url, timeoutMs } = request;
  return new Promise<Transport>((resolve, reject) => {
    let socket: WebSocket;
    try {
      socket = new WebSocket(url.href);
    } catch (cause) {
      // SyntaxError for a bad URL; SecurityError for ws:// from an https:// page.
      const mixed = (cause as { name?: unknown } | null)?.name === "SecurityError";
      reject(
        mixed
          ? new TlsError(`The browser refused ${url.display} (${describe(cause)}): a page served over https:// may only open wss:// — enable TLS on the agent.`, { cause })
          : new InvalidUrlError(`The browser refused the URL ${url.display}: ${describe(cause)}`, { cause }),
      );
      return;
    }
    socket.binaryType = "arraybuffer";
    let opened = false;
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.close();
      reject(new TimeoutError(`Connecting to ${url.display} took longer than ${timeoutMs} ms: check the address, port and network.`, { phase: "connect", timeoutMs }));
    }, timeoutMs);
    socket.onopen = () => {
      if (settled) return;
      settled = true;
      opened = true;
      clearTimeout(timer);
      resolve(new BrowserTransport(socket));
    };
    socket.onmessage = (event: MessageEvent) => {
      const data: unknown = event.data;
      const frame: Frame = typeof data === "string" ? data : new Uint8Array(data as ArrayBuffer);
      events.message(frame);
    };
    const failed = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(
        new ConnectionFailedError(
          `Could not open a WebSocket to ${url.display}. The browser does not say why: the agent may be down or unreachable, ` +
            `the token wrong (HTTP 401), or this page's origin not allowed by the agent (--allow-origin)` +
            (url.secure ? `, or its certificate not trusted by the browser (open https://${url.authority}/healthz once to accept it).` : "."),
          { reason: "unknown", host: url.hostname },
        ),
      );
    };
    // Browsers report a failed handshake with an error event and then a close event; some
    // implementations (Node 20's) only with the error event. Either settles the attempt.
    socket.onerror = () => {
      if (!opened) failed();
    };
    socket.onclose = (event: CloseEvent) => {
      if (opened) events.close(event.code, event.reason);
      else failed();
    };
  });
}

async function gunzip(bytes: Uint8Array, maxBytes: number): Promise<Uint8Array> {
  const input = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
  const reader = input.pipeThrough(new DecompressionStream("gzip") as unknown as ReadableWritablePair<Uint8Array, Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new RangeError(`decompressed reply exceeds ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export const browserPlatform: Platform = {
  async prepare(options: ResolvedOptions): Promise<PreparedPlatform> {
    if (options.tlsCa !== undefined) {
      throw new TlsError(
        "A certificate cannot be pinned in a browser: the browser decides which certificates it trusts. Use wss:// and make the browser trust the agent's certificate (import its cert.pem, or open https://HOST:PORT/healthz once and accept it).",
      );
    }
    return { discovery: "first-frame", open, gunzip };
  },
};
