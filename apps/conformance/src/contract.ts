import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

export type ContractName = 'peer' | 'connector';

const FILES: Record<ContractName, string> = { peer: 'peer-v1.json', connector: 'connector-v1.json' };

/** The published OpenAPI documents, found next to the kit (source tree or compiled `dist/`). */
export function openapiDir(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'docs', 'openapi');
    if (existsSync(join(candidate, FILES.peer))) return candidate;
    if (dirname(dir) === dir) throw new Error('docs/openapi/peer-v1.json not found above the kit');
  }
}

/**
 * Validates documents against the JSON Schemas of the published contract (the OpenAPI
 * components), so that the kit and the documents can never disagree: the kit knows no
 * field list of its own.
 */
export class PublishedContract {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
  private readonly documents = new Map<ContractName, any>();
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(dir = openapiDir()) {
    for (const [name, file] of Object.entries(FILES) as [ContractName, string][]) {
      const doc = JSON.parse(readFileSync(join(dir, file), 'utf8'));
      this.documents.set(name, doc);
      this.ajv.addSchema({ $id: `urn:ent-portability:openapi:${name}`, components: doc.components ?? {} });
    }
  }

  hasSchema(contract: ContractName, schema: string): boolean {
    return Boolean(this.documents.get(contract)?.components?.schemas?.[schema]);
  }

  /**
   * Fields of `value` that the named schema does not define, followed through `$ref`s and
   * arrays (the contract rejects unknown fields, whether or not its schemas say
   * `additionalProperties: false`).
   */
  unknownFields(contract: ContractName, schema: string, value: unknown, path = ''): string[] {
    const schemas = this.documents.get(contract)?.components?.schemas ?? {};
    const walk = (s: any, v: unknown, at: string): string[] => {
      if (!s || v === null || typeof v !== 'object') return [];
      if (s.$ref) return walk(schemas[String(s.$ref).split('/').pop()!], v, at);
      for (const key of ['allOf', 'oneOf', 'anyOf']) if (Array.isArray(s[key]) && s[key].length === 1) return walk(s[key][0], v, at);
      if (Array.isArray(v)) return s.items ? v.flatMap((x, i) => walk(s.items, x, `${at}[${i}]`)) : [];
      if (!s.properties) return [];
      return Object.entries(v).flatMap(([k, x]) => (k in s.properties ? walk(s.properties[k], x, at ? `${at}.${k}` : k) : [at ? `${at}.${k}` : k]));
    };
    return walk(schemas[schema], value, path);
  }

  /** Every way `value` breaks the named schema (empty when it conforms, or when the contract publishes no such schema). */
  validate(contract: ContractName, schema: string, value: unknown): string[] {
    if (!this.hasSchema(contract, schema)) return [];
    const key = `${contract}#${schema}`;
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile({ $ref: `urn:ent-portability:openapi:${contract}#/components/schemas/${schema}` });
      this.compiled.set(key, fn);
    }
    if (fn(value)) return [];
    return (fn.errors ?? []).map((e) => `${e.instancePath || '(document)'} ${e.message ?? 'is invalid'}${e.params && 'additionalProperty' in e.params ? ` (${String(e.params.additionalProperty)})` : ''}`);
  }
}
