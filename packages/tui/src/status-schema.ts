/**
 * The shape of one host in `socktop status --json`, defined once: the
 * TypeScript type and the JSON Schema (packages/tui/schema/status-host.schema.json,
 * written from this and checked equal by a test) both come from here.
 */
import { Type, type Static } from "@sinclair/typebox";

const Pct = Type.Number({ minimum: 0, maximum: 100 });
const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) => Type.Union([t, Type.Null()]);

export const HostStatusSchema = Type.Object(
  {
    name: Type.String({ description: "profile name, else host:port" }),
    url: Type.String({ description: "the agent URL, any token hidden" }),
    up: Type.Boolean({ description: "true when the agent answered within the timeout" }),
    state: Type.Union(
      ["up", "refused", "auth failed", "TLS mismatch", "TLS error", "timeout", "unreachable", "down"].map((s) => Type.Literal(s)),
      { description: "one word for the outcome" },
    ),
    error: Nullable(Type.String({ description: "what went wrong, for a person" })),
    rtt_ms: Nullable(Type.Number({ minimum: 0, description: "round trip of the metrics request" })),
    hostname: Nullable(Type.String()),
    cpu_pct: Nullable(Pct),
    mem_pct: Nullable(Pct),
    mem_used: Nullable(Type.Integer({ minimum: 0, description: "bytes" })),
    mem_total: Nullable(Type.Integer({ minimum: 0, description: "bytes" })),
    disk_pct: Nullable(Pct),
    disk_name: Nullable(Type.String({ description: "the fullest disk" })),
    gpu_pct: Nullable(Pct),
    temp_c: Nullable(Type.Number()),
    process_count: Nullable(Type.Integer({ minimum: 0 })),
    busiest: Nullable(
      Type.Object(
        { pid: Type.Integer({ minimum: 0 }), name: Type.String(), cpu_pct: Pct },
        { additionalProperties: false, description: "the process using the most CPU" },
      ),
    ),
    checked_at: Type.String({ format: "date-time" }),
  },
  {
    $id: "https://github.com/socktop/socktop/schema/status-host.schema.json",
    title: "socktop status --json: one host",
    description: "socktop status --json prints one such object per host, one per line (JSON Lines).",
    additionalProperties: false,
  },
);

export type HostStatus = Static<typeof HostStatusSchema>;

/** The schema file's text. */
export function statusSchemaJson(): string {
  return `${JSON.stringify({ $schema: "https://json-schema.org/draft/2020-12/schema", ...HostStatusSchema }, null, 2)}\n`;
}
