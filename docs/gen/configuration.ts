import { CONFIG_SLICES } from '../../lib/config.js';
import { sliceReference, type ConfigSlice, type VariableReference } from '../../lib/config/slice.js';
import { cell, code, page, table } from './markdown.js';

/**
 * `docs/reference/configuration.md`: every environment variable the project reads, per slice, with
 * its default and meaning, rendered from the slices' zod schemas (`lib/config/`), which are the only
 * statement of them.
 */

const INTRO =
  'Read once at start-up from the environment and validated with zod; every problem is reported at once, ' +
  'each naming its variable, and a blank value counts as unset. Variables marked secret are credentials: ' +
  'their values are never printed, in errors or in logs.';

function defaultCell(variable: VariableReference): string {
  if (variable.defaultValue === undefined) return cell(variable.unset ?? 'unset');
  return variable.defaultValue === '' ? 'empty' : cell(code(variable.defaultValue));
}

function section(slice: ConfigSlice): string {
  const rows = sliceReference(slice).map((variable) => [
    cell(code(variable.name)) + (variable.secret ? ' (secret)' : ''),
    defaultCell(variable),
    cell(variable.description),
  ]);
  return [`## ${slice.title}`, slice.summary, table(['variable', 'default', 'meaning'], rows)].join('\n\n');
}

export function renderConfiguration(): string {
  return page('lib/config/*.ts', 'Configuration', [INTRO, ...CONFIG_SLICES.map(section)]);
}
