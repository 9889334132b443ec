/** The agent URL: validated, token applied, scheme upgraded for TLS pinning, and a redacted form for messages. */
import { InvalidUrlError } from "./errors.js";

export interface AgentUrl {
  /** What the transport dials (carries the token). */
  href: string;
  /** What messages and `connection.url` show: the token replaced by `***`. */
  display: string;
  secure: boolean;
  /** host:port as dialled, for messages. */
  authority: string;
  /** The host alone, without port or IPv6 brackets (e.g. `nonexistent.invalid`, `::1`). */
  hostname: string;
}

const EXAMPLE = "ws://HOST:PORT/ws";

function redact(url: URL): string {
  if (!url.searchParams.has("token")) return url.href;
  const copy = new URL(url.href);
  copy.searchParams.set("token", "***");
  // URLSearchParams encodes * as %2A; the literal reads better and is still a valid URL.
  return copy.href.replace(/token=%2A%2A%2A/, "token=***");
}

export function parseAgentUrl(input: string, options: { token?: string | undefined; tlsCa?: string | undefined }): AgentUrl {
  if (typeof input !== "string" || input.trim() === "") {
    throw new InvalidUrlError(`No agent URL given: pass the agent's WebSocket URL, e.g. ${EXAMPLE}`);
  }
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch (cause) {
    // The input may carry a token; quote only its start.
    const shown = input.length > 40 ? `${input.slice(0, 40)}…` : input;
    throw new InvalidUrlError(`'${shown.replace(/token=[^&]*/g, "token=***")}' is not a URL: expected ${EXAMPLE}`, { cause });
  }
  switch (url.protocol) {
    case "ws:":
    case "wss:":
      break;
    case "http:":
      url.protocol = "ws:";
      break;
    case "https:":
      url.protocol = "wss:";
      break;
    default:
      if (!input.includes("://")) {
        // "localhost:3000" parses as scheme "localhost:"; the user meant a host and port.
        const guess = `ws://${input.trim().replace(/^\/+/, "")}`;
        const hint = /\/[^/]/.test(guess.slice(5)) ? guess : `${guess.replace(/\/$/, "")}/ws`;
        throw new InvalidUrlError(`'${redact(url)}' has no ws:// scheme: expected ${EXAMPLE} (did you mean ${hint.replace(/token=[^&]*/g, "token=***")}?)`);
      }
      throw new InvalidUrlError(`Unsupported URL scheme '${url.protocol}' in ${redact(url)}: use ws:// (or wss:// for TLS), e.g. ${EXAMPLE}`);
  }
  if (url.hostname === "") throw new InvalidUrlError(`The URL ${redact(url)} has no host: expected ${EXAMPLE}`);
  if (url.username !== "" || url.password !== "") {
    throw new InvalidUrlError(`Agent URLs carry no user name or password: the token goes in ?token=.`);
  }
  // WebSocket URLs cannot carry a fragment (browsers throw on one); it would mean nothing to the agent anyway.
  url.hash = "";
  if (options.tlsCa !== undefined && url.protocol === "ws:") url.protocol = "wss:";
  if (options.token !== undefined) {
    // Written by hand: URLSearchParams would send a space as "+", which this project's
    // agent reads as a plus sign (base64 tokens); %20 and %2B mean the same to every agent.
    const kept = url.search
      .slice(1)
      .split("&")
      .filter((pair) => pair !== "" && queryName(pair) !== "token");
    kept.push(`token=${encodeURIComponent(options.token)}`);
    url.search = kept.join("&");
  }
  return {
    href: url.href,
    display: redact(url),
    secure: url.protocol === "wss:",
    authority: url.host,
    hostname: url.hostname.replace(/^\[(.*)\]$/, "$1"),
  };
}

function queryName(pair: string): string {
  const name = pair.split("=", 1)[0]!;
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

/**
 * The URL with one more query parameter, appended to whatever query it has so that the
 * user's own parameters (the token) go out exactly as they wrote them. `display` is left
 * alone: messages show the URL the user gave, not the connector's additions.
 */
export function withQueryParameter(url: AgentUrl, name: string, value: string): AgentUrl {
  const target = new URL(url.href);
  if (target.searchParams.has(name)) {
    target.searchParams.set(name, value);
  } else {
    const pair = `${encodeURIComponent(name)}=${encodeURIComponent(value)}`;
    target.search = target.search === "" || target.search === "?" ? pair : `${target.search}&${pair}`;
  }
  return { ...url, href: target.href };
}
