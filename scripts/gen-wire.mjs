// Generates the TypeScript codecs in src/wire/ from the schemas in protocols/ (the house plan keeps
// schemas and generated code apart). `node scripts/gen-wire.mjs DIR` writes them into DIR instead:
// test/architecture/wire-drift.test.ts does, to check that src/wire/ is what the schemas give.
import { readdirSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { generate } from 'protons'

const root = resolve(fileURLToPath(import.meta.url), '../..')
const out = resolve(process.argv[2] ?? join(root, 'src/wire'))
const protocols = join(root, 'protocols')

for (const proto of readdirSync(protocols).filter(f => f.endsWith('.proto')).sort()) {
  await generate(join(protocols, proto), { output: out })
}
