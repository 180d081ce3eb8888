// Generates the TypeScript codecs in src/wire/ from the schemas in protocols/ (protons writes them
// beside the .proto; the house plan keeps schemas and generated code apart).
import { execFileSync } from 'node:child_process'
import { readdirSync, renameSync } from 'node:fs'
import { join } from 'node:path'

const protos = readdirSync('protocols').filter(f => f.endsWith('.proto')).map(f => join('protocols', f))
execFileSync('npx', ['protons', ...protos], { stdio: 'inherit' })
for (const proto of protos) {
  const generated = proto.replace(/\.proto$/, '.ts')
  renameSync(generated, join('src/wire', generated.split('/').pop()))
}
