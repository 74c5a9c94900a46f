import { readFileSync } from 'node:fs';

/**
 * Reads an `.avsc` file shipped beside this module (`schemas/avro/`; the build copies the folder
 * next to the compiled module).
 */
export function loadSchemaText(fileName: string): string {
  return readFileSync(new URL(`./avro/${fileName}`, import.meta.url), 'utf8');
}

/** Absolute path of the ClickHouse migrations folder shipped beside this module. */
export function migrationsDirectory(): URL {
  return new URL('./migrations/', import.meta.url);
}
