/** The host's name, as the kernel reports it. */
import { hostname } from "node:os";

export function readHostname(): string {
  return hostname();
}
