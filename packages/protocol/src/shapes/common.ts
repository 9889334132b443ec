/** Building blocks shared by the reply shapes. */
import { Type, type ObjectOptions, type TProperties, type TObject } from "@sinclair/typebox";

/**
 * An object with exactly these fields: the schemas describe exactly what this
 * agent sends. (The connector's validators are derived with extra fields
 * allowed, since clients must ignore fields they do not know.)
 */
export function strict<T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

export const Bytes = (description?: string) => Type.Integer({ minimum: 0, ...(description === undefined ? {} : { description }) });
export const NullableBytes = () => Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]);
export const NullableNumber = () => Type.Union([Type.Number(), Type.Null()]);
export const Percent = (description?: string) =>
  Type.Number({ minimum: 0, maximum: 100, ...(description === undefined ? {} : { description }) });
