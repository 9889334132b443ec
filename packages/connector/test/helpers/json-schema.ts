/**
 * A minimal JSON Schema (2020-12) validator: exactly the keywords the
 * protocol's schemas use, and an error for any other keyword so that a schema
 * can never rely on something this validator silently skips.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export type Schema = Record<string, unknown>;

export const SCHEMA_DIR = fileURLToPath(new URL("../../../protocol/schemas/", import.meta.url));

export function loadSchemas(): Map<string, Schema> {
  const schemas = new Map<string, Schema>();
  for (const file of readdirSync(SCHEMA_DIR).filter((f) => f.endsWith(".schema.json")).sort()) {
    schemas.set(file.replace(/\.schema\.json$/, ""), JSON.parse(readFileSync(join(SCHEMA_DIR, file), "utf8")) as Schema);
  }
  return schemas;
}

const ANNOTATIONS = new Set(["$schema", "$id", "$comment", "title", "description", "$defs", "examples"]);
const KEYWORDS = new Set([
  "type", "properties", "required", "additionalProperties", "items", "enum", "const", "minimum", "maximum",
  "minLength", "maxLength", "maxItems", "format", "$ref", "anyOf",
]);

function typeOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  if (typeof value === "number") return Number.isInteger(value) ? "integer" : "number";
  return typeof value;
}

function typeMatches(value: unknown, type: string): boolean {
  const actual = typeOf(value);
  return actual === type || (type === "number" && actual === "integer");
}

const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Errors found (empty when valid), each as "path: problem". */
export function validate(root: Schema, value: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    const match = /^#\/\$defs\/([A-Za-z0-9_-]+)$/.exec(ref);
    const defs = root.$defs as Record<string, Schema> | undefined;
    const target = match ? defs?.[match[1] as string] : undefined;
    if (target === undefined) throw new Error(`unsupported or dangling $ref ${ref}`);
    return target;
  };
  const check = (schema: Schema, v: unknown, path: string): void => {
    for (const key of Object.keys(schema)) {
      if (!KEYWORDS.has(key) && !ANNOTATIONS.has(key)) throw new Error(`schema keyword "${key}" at ${path} is not supported by this validator`);
    }
    if (typeof schema.$ref === "string") check(resolve(schema.$ref), v, path);
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => typeMatches(v, t))) {
        errors.push(`${path}: expected ${types.join(" or ")}, got ${typeOf(v)}`);
        return;
      }
    }
    if ("const" in schema && JSON.stringify(schema.const) !== JSON.stringify(v)) errors.push(`${path}: expected ${JSON.stringify(schema.const)}`);
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(v))) {
      errors.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    }
    if (Array.isArray(schema.anyOf)) {
      const ok = (schema.anyOf as Schema[]).some((s) => validate({ ...root, ...s, $defs: root.$defs }, v).length === 0);
      if (!ok) errors.push(`${path}: matches none of anyOf`);
    }
    if (typeof v === "number") {
      if (typeof schema.minimum === "number" && v < schema.minimum) errors.push(`${path}: ${v} < minimum ${schema.minimum}`);
      if (typeof schema.maximum === "number" && v > schema.maximum) errors.push(`${path}: ${v} > maximum ${schema.maximum}`);
    }
    if (typeof v === "string") {
      if (typeof schema.minLength === "number" && v.length < schema.minLength) errors.push(`${path}: shorter than ${schema.minLength}`);
      if (typeof schema.maxLength === "number" && v.length > schema.maxLength) errors.push(`${path}: longer than ${schema.maxLength}`);
      if (schema.format === "date-time" && (!DATE_TIME.test(v) || Number.isNaN(Date.parse(v)))) errors.push(`${path}: not an RFC 3339 date-time`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.maxItems === "number" && v.length > schema.maxItems) errors.push(`${path}: more than ${schema.maxItems} items`);
      if (schema.items !== undefined) v.forEach((item, i) => check(schema.items as Schema, item, `${path}[${i}]`));
    }
    if (typeOf(v) === "object") {
      const o = v as Record<string, unknown>;
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      for (const key of (schema.required ?? []) as string[]) if (!(key in o)) errors.push(`${path}: missing "${key}"`);
      for (const [key, item] of Object.entries(o)) {
        if (key in properties) check(properties[key] as Schema, item, `${path}.${key}`);
        else if (schema.additionalProperties === false) errors.push(`${path}: unexpected property "${key}"`);
        else if (typeof schema.additionalProperties === "object") check(schema.additionalProperties as Schema, item, `${path}.${key}`);
      }
    }
  };
  check(root, value, "$");
  return errors;
}
