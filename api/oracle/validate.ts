import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { oracleSchema } from './schema.js';

/** One violation, in the old service's shape (jsonschema's `path`, `message`, `validator`, `validator_value`). */
export interface ValidationProblem {
  path: string;
  message: string;
  validator: string;
  validator_value: unknown;
}

export interface ValidationResult {
  valid: boolean;
  error_count: number;
  errors: ValidationProblem[];
}

// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module
const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default;

/** A compiled validator for the strict or the lenient schema; compile once, use for every request. */
export interface OracleValidator {
  validate(state: unknown): ValidationResult;
}

function problem(error: ErrorObject): ValidationProblem {
  const params = error.params as Record<string, unknown>;
  // additionalProperties names the key at fault in params; put it in the path, as a reader expects
  const extra = error.keyword === 'additionalProperties' ? params.additionalProperty : undefined;
  const path = `${error.instancePath}${typeof extra === 'string' ? `/${extra}` : ''}` || '/';
  return {
    path,
    message: error.message ?? error.keyword,
    validator: error.keyword,
    validator_value: error.schema ?? null,
  };
}

export function createOracleValidator(strict: boolean): OracleValidator {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, verbose: true });
  addFormats(ajv);
  const compiled: ValidateFunction = ajv.compile(oracleSchema(strict));
  return {
    validate(state) {
      const valid = compiled(state);
      const errors = valid ? [] : (compiled.errors ?? []).map(problem);
      return { valid, error_count: errors.length, errors };
    },
  };
}
