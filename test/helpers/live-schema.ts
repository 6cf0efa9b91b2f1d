/**
 * schema/live-events.schema.json (which refers to report.schema.json for the summary's report),
 * compiled once: `liveEventErrors(e)` is null for an event that validates, else ajv's errors.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Ajv2020 from 'ajv/dist/2020.js';
import { repoRoot } from './corpus.ts';

const read = (name: string): object => JSON.parse(readFileSync(path.join(repoRoot, 'schema', name), 'utf8')) as object;
// ajv is CommonJS: under NodeNext its default import is module.exports, whose `default` is the class.
const ajv = new Ajv2020.default({ strict: false, allErrors: true });
ajv.addSchema(read('report.schema.json'));
const validate = ajv.compile(read('live-events.schema.json'));

export function liveEventErrors(e: unknown): string | null {
  return validate(e) ? null : JSON.stringify(validate.errors?.slice(0, 5));
}
