// The compiled inventory schema. From source it is compiled on first use; the bundled CLI
// (provision/bundle/build-cli.ts) replaces this module with ajv's standalone code, compiled at build
// time, because compiling the schema was a third of a no-op run's start-up. The schema is
// imported as a module, not read from disk: the core does no I/O of its own.
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import schema from '../../../schemas/inventory.schema.json' with { type: 'json' };

/** The options both paths compile with: all errors at once, and each error's schema and data. */
export const ajvOptions = { allErrors: true, strict: true, allowUnionTypes: true, verbose: true } as const;

export function newAjv(extra: object = {}): Ajv2020 {
  return new Ajv2020({ ...ajvOptions, ...extra });
}

export function loadSchema(): object {
  return schema;
}

let compiled: ValidateFunction | undefined;

export function inventoryValidator(): ValidateFunction {
  compiled ??= newAjv().compile(loadSchema());
  return compiled;
}
