// Rewrites the README's table of `p2pfaas node` flags from the flag table (src/node/flags.ts),
// through tsc's output: `npm run gen:flags-doc` compiles first. test/node/flags.test.ts fails while
// the two disagree.
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { withFlagsTable } from '../dist/src/node/flags-doc.js'

const readme = fileURLToPath(new URL('../README.md', import.meta.url))
const before = readFileSync(readme, 'utf8')
const after = withFlagsTable(before)
if (after === before) {
  console.log('README.md: the flag table is up to date')
} else {
  writeFileSync(readme, after)
  console.log('README.md: the flag table rewritten from src/node/flags.ts')
}
