/**
 * The README's table of `p2pfaas node` flags, written from the flag table (./flags.ts) between two
 * markers, so the prose around it stays the README's own. `npm run gen:flags-doc` rewrites it;
 * test/node/flags.test.ts fails while the README and the table disagree.
 */
import { defaultText, nodeFlagSpecs, type FlagSpec } from './flags.js'

export const FLAGS_DOC_START = '<!-- generated from src/node/flags.ts by `npm run gen:flags-doc`: edit there -->'
export const FLAGS_DOC_END = '<!-- end of the generated flag table -->'

function row (spec: FlagSpec): string {
  const flag = `\`${spec.flag}\`${spec.kind === 'list' ? ' (repeatable)' : ''}`
  const env = spec.kind === 'switch' || spec.kind === 'negated' ? `\`${spec.env}=1\`` : `\`${spec.env}\``
  const text = defaultText(spec)
  const fallback = spec.docDefault ?? (text == null ? 'none' : `\`${text}\``)
  return `| ${flag} | ${env} | ${fallback} | ${spec.doc} |`
}

/** The markdown table, one row per flag in the table's order. */
export function flagsTable (): string {
  return ['| flag | env | default | meaning |', '|---|---|---|---|', ...nodeFlagSpecs().map(([, spec]) => row(spec))].join('\n')
}

/** The README with the text between the markers replaced by the table of today's flags. */
export function withFlagsTable (readme: string): string {
  const start = readme.indexOf(FLAGS_DOC_START)
  const end = readme.indexOf(FLAGS_DOC_END)
  if (start < 0 || end < start) throw new Error(`the README has no flag table between "${FLAGS_DOC_START}" and "${FLAGS_DOC_END}"`)
  // Blank lines around the table, so no markdown reader takes a marker for one of its rows.
  return `${readme.slice(0, start + FLAGS_DOC_START.length)}\n\n${flagsTable()}\n\n${readme.slice(end)}`
}
