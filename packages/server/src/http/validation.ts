/**
 * Request validation for the REST API with TypeBox's compiler, the same
 * schemas that document the API. Fastify's default Ajv setup would *remove*
 * unknown properties (`removeAdditional`) and coerce loosely (`"5.5"` → 5);
 * here an unknown field, a fractional limit or `online=maybe` is a 400
 * (`PARLEY_ERR_VALIDATION`), as docs/control-plane.md "Lists" says.
 *
 * Querystring and path values arrive as strings: `coerce` turns them into
 * the declared integer / number / boolean / array, strictly, before the check.
 */
import type { FastifySchemaCompiler } from 'fastify';
import type { TSchema } from '@sinclair/typebox';
import { TypeCompiler, ValueErrorType, type ValueError } from '@sinclair/typebox/compiler';
import { Value } from '@sinclair/typebox/value';

/** Schema option: the message of a failed `pattern` check (shared with the WebSocket's schemas). */
export { PATTERN_ERROR } from '@parley/protocol';
import { PATTERN_ERROR } from '@parley/protocol';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  const?: unknown;
}

const INTEGER = /^-?\d{1,16}$/;
const NUMBER = /^-?\d{1,16}(\.\d{1,16})?$/;

/** A string from the URL as the type `schema` declares, or unchanged when it does not fit (the check then fails). */
function coerceScalar(schema: JsonSchema | undefined, raw: unknown): unknown {
  if (schema === undefined) return raw;
  if (Array.isArray(raw)) {
    if (schema.type === 'array') return raw.map((v) => coerceScalar(schema.items, v));
    if (schema.anyOf?.some((s) => s.type === 'array')) return raw;
    return raw; // a repeated parameter that is not a list: fails the check
  }
  if (typeof raw !== 'string') return raw;
  switch (schema.type) {
    case 'integer':
      return INTEGER.test(raw) ? Number(raw) : raw;
    case 'number':
      return NUMBER.test(raw) ? Number(raw) : raw;
    case 'boolean':
      return raw === 'true' ? true : raw === 'false' ? false : raw;
    case 'array':
      return [coerceScalar(schema.items, raw)];
    default:
      return raw;
  }
}

/** Querystring / params: an object of strings (or string arrays for repeated keys). */
export function coerce(schema: TSchema, data: unknown): unknown {
  const s = schema as JsonSchema;
  if (data === null || typeof data !== 'object' || s.properties === undefined) return data;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) out[k] = coerceScalar(s.properties[k], v);
  return out;
}

function describe(e: ValueError): string {
  const custom = (e.schema as Record<string, unknown>)[PATTERN_ERROR];
  if (e.type === ValueErrorType.StringPattern && typeof custom === 'string') return custom;
  const anyOf = (e.schema as JsonSchema).anyOf;
  if (anyOf !== undefined && anyOf.length > 0 && anyOf.every((m) => m.const !== undefined)) {
    return `must be one of ${anyOf.map((m) => JSON.stringify(m.const)).join(', ')}`;
  }
  return e.message;
}

/** Validation error in Fastify's shape (`validation`, `validationContext`), turned into problem+json by problem.ts. */
function validationError(part: string, e: ValueError | undefined): Error {
  const where = `${part}${e?.path ?? ''}`;
  const err = new Error(`${where}: ${e === undefined ? 'invalid' : describe(e)}`) as Error & {
    validation: { instancePath: string; message: string }[];
    validationContext: string;
  };
  err.validation = [{ instancePath: e?.path ?? '', message: e === undefined ? 'invalid' : describe(e) }];
  err.validationContext = part;
  return err;
}

/** Fastify validator compiler: strict TypeBox checks, defaults applied, URL values coerced. */
export const typeboxValidatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const check = TypeCompiler.Compile(schema);
  const fromUrl = httpPart === 'querystring' || httpPart === 'params';
  return (data: unknown) => {
    let value = fromUrl ? coerce(schema, data) : data;
    if (fromUrl) value = Value.Default(schema, value);
    if (check.Check(value)) return { value };
    return { error: validationError(httpPart ?? 'request', check.Errors(value).First()) };
  };
};
