/**
 * The dataset's tables and columns as Markdown, made from columns.ts: docs/dataset.md holds this
 * text between its markers, and test/export-schema.test.ts checks that it is current.
 */
import { DATASET_SCHEMA_VERSION, TABLES } from './columns.js';
import { PACKETS_TABLE } from './packets.js';

export const DOC_BEGIN = '<!-- tables: generated from src/export/columns.ts (tableDocs); do not edit by hand -->';
export const DOC_END = '<!-- end of tables -->';

export function tableDocs(): string {
  const out: string[] = [DOC_BEGIN, '', `Dataset layout version ${DATASET_SCHEMA_VERSION}. Every table also has the partition column \`capture\` (VARCHAR: the capture's ID).`, ''];
  for (const t of [...TABLES, PACKETS_TABLE]) {
    const row = t === PACKETS_TABLE ? 'each packet' : t.rowPath.length === 0 ? 'the report' : `\`.${t.rowPath.join('.').replace(/\.\[\]/g, '[]')}\``;
    out.push(`### ${t.name}`, '', `${t.doc} A row is made from ${row} of \`analyze --json\`.`, '', '| column | type | analyze --json | meaning |', '| --- | --- | --- | --- |');
    for (const c of t.columns) {
      const from = c.given ? (c.schemaPath ? `(${c.schemaPath.join('.').replace(/\.\[\]/g, '[]')})` : '—') : `${c.count ? 'length of ' : ''}\`.${(c.path ?? []).join('.')}\``;
      out.push(`| \`${c.name}\` | ${c.type} | ${from} | ${c.doc.replace(/\|/g, '\\|')} |`);
    }
    out.push('');
  }
  out.push(DOC_END);
  return out.join('\n');
}
