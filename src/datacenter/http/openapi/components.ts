/**
 * The zod → JSON Schema side of the OpenAPI document. Every request and response body is a zod
 * schema the routes already use (src/core, the route modules) or one of shapes.ts; it is named
 * once here and becomes `#/components/schemas/<name>`, converted with zod 4's `z.toJSONSchema`
 * (JSON Schema 2020-12, which OpenAPI 3.1 uses as is).
 *
 * Requests are converted as zod's *input* (defaults optional, coerced query values as their
 * type), responses as its *output*. A schema used both ways keeps one name when both
 * conversions agree; otherwise the request side is named `<name>Input`. Schemas registered under
 * a name are referenced wherever they occur inside other registered schemas, so `Actor`,
 * `EventRecord`, `ErrorCode`… appear once.
 */
import { z } from 'zod';

/** A JSON Schema object as the document carries it. */
export type JsonSchema = Record<string, unknown>;

export type Io = 'input' | 'output';

const COMPONENT_PREFIX = '#/components/schemas/';

/** Names of schemas as OpenAPI allows them (`^[a-zA-Z0-9._-]+$`). */
const NAME = /^[A-Za-z0-9._-]+$/;

function strip(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

/** The unrepresentable parts of a schema (a custom check, a transform) become `{}` rather than failing the document. */
const ANY = 'any' as const;

/** String formats of JSON Schema 2020-12 that zod emits; zod's own (`includes`, …) are left out, their `pattern` says it. */
const STANDARD_FORMATS = new Set(['date-time', 'date', 'time', 'duration', 'email', 'idn-email', 'hostname', 'idn-hostname', 'ipv4', 'ipv6', 'uri', 'uri-reference', 'iri', 'iri-reference', 'uuid', 'uri-template', 'json-pointer', 'relative-json-pointer', 'regex']);

/**
 * Descriptions given with `.describe()` live in zod's global registry, which a conversion with
 * its own registry does not read: copy them over. Drop formats no JSON Schema tool knows.
 */
function finish(ctx: { zodSchema: unknown; jsonSchema: JsonSchema }): void {
  const description = z.globalRegistry.get(ctx.zodSchema as z.ZodType)?.description;
  if (description !== undefined && ctx.jsonSchema.description === undefined) ctx.jsonSchema.description = description;
  if (typeof ctx.jsonSchema.format === 'string' && !STANDARD_FORMATS.has(ctx.jsonSchema.format)) delete ctx.jsonSchema.format;
}

export class ComponentSchemas {
  private readonly byIo: Record<Io, Map<string, z.ZodType>> = { input: new Map(), output: new Map() };
  private readonly nameOf: Record<Io, Map<z.ZodType, string>> = { input: new Map(), output: new Map() };
  private built: { schemas: Record<string, JsonSchema>; inputName: (name: string) => string } | null = null;

  /**
   * Names `schema` for one direction and answers a `$ref` to it. Registering the same schema
   * again answers the same reference; another schema under a taken name is a programming error.
   */
  ref(name: string, schema: z.ZodType, io: Io): JsonSchema {
    if (!NAME.test(name)) throw new Error(`not a component name: ${name}`);
    const known = this.nameOf[io].get(schema);
    if (known !== undefined && known !== name) throw new Error(`schema registered twice, as ${known} and ${name}`);
    const taken = this.byIo[io].get(name);
    if (taken !== undefined && taken !== schema) throw new Error(`two ${io} schemas named ${name}`);
    this.byIo[io].set(name, schema);
    this.nameOf[io].set(schema, name);
    this.built = null;
    // the final name of an input schema is known only once everything is registered: resolved in `schemas()`
    return { $ref: `${COMPONENT_PREFIX}${name}`, ...(io === 'input' ? { 'x-huying-io': 'input' } : {}) };
  }

  /** A JSON Schema of `schema` with no references (query and path parameters). */
  inline(schema: z.ZodType, io: Io): JsonSchema {
    return strip(z.toJSONSchema(schema, { io, metadata: z.registry<{ id?: string }>(), unrepresentable: ANY, target: 'draft-2020-12', override: finish }) as JsonSchema);
  }

  private convert(io: Io, uri: (id: string) => string): Record<string, JsonSchema> {
    const registry = z.registry<{ id: string }>();
    for (const [name, schema] of this.byIo[io]) registry.add(schema, { id: name });
    const out = z.toJSONSchema(registry, { io, uri, unrepresentable: ANY, target: 'draft-2020-12', override: finish }) as { schemas: Record<string, JsonSchema> };
    return Object.fromEntries(Object.entries(out.schemas).map(([k, v]) => [k, strip(v)]));
  }

  private build(): { schemas: Record<string, JsonSchema>; inputName: (name: string) => string } {
    if (this.built) return this.built;
    const output = this.convert('output', (id) => `${COMPONENT_PREFIX}${id}`);
    // names both directions use; shared while the two conversions agree (a fixed point: unsharing
    // one name changes the references inside the others)
    let shared = new Set([...this.byIo.input.keys()].filter((n) => this.byIo.output.has(n)));
    let input: Record<string, JsonSchema> = {};
    for (;;) {
      const names = shared;
      input = this.convert('input', (id) => `${COMPONENT_PREFIX}${names.has(id) || !this.byIo.output.has(id) ? id : `${id}Input`}`);
      const agree = new Set([...names].filter((n) => JSON.stringify(input[n]) === JSON.stringify(output[n])));
      if (agree.size === names.size) break;
      shared = agree;
    }
    const finalShared = shared;
    const inputName = (name: string) => (finalShared.has(name) || !this.byIo.output.has(name) ? name : `${name}Input`);
    const schemas: Record<string, JsonSchema> = { ...output };
    for (const [name, schema] of Object.entries(input)) {
      const final = inputName(name);
      if (final in schemas && final !== name) throw new Error(`component name ${final} is taken`);
      if (!(final in schemas)) schemas[final] = schema;
    }
    this.built = { schemas, inputName };
    return this.built;
  }

  /** Every named schema, converted, sorted by name. */
  schemas(): Record<string, JsonSchema> {
    const { schemas } = this.build();
    return Object.fromEntries(Object.keys(schemas).sort().map((k) => [k, schemas[k]!]));
  }

  /**
   * Rewrites the references `ref()` handed out for input schemas to their final names, in a
   * document built before everything was registered.
   */
  resolveRefs<T>(value: T): T {
    const { inputName } = this.build();
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (v === null || typeof v !== 'object') return v;
      const o = v as Record<string, unknown>;
      if (o['x-huying-io'] === 'input' && typeof o.$ref === 'string') {
        const { 'x-huying-io': _io, ...rest } = o;
        return { ...rest, $ref: `${COMPONENT_PREFIX}${inputName((o.$ref as string).slice(COMPONENT_PREFIX.length))}` };
      }
      return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, walk(x)]));
    };
    return walk(value) as T;
  }
}
