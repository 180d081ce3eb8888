import { spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { repoPath } from '../helpers/cli.js'

/**
 * The layer order of docs/architecture.md, as `npm run check:layers` checks it: the tree keeps it,
 * the document and the configuration agree, and the check does catch an upward import, an import
 * between folders of one layer and a loop between folders.
 */

const CONFIG = repoPath('.dependency-cruiser.cjs')
const DEPCRUISE = repoPath('node_modules', '.bin', 'depcruise')

interface Violation { type?: string, from: string, to: string, rule: { name: string, severity: string } }

/** Runs the check as the npm script does, from `cwd`, and returns what it found. */
function check (cwd: string, paths: string[]): Violation[] {
  const r = spawnSync(DEPCRUISE, [...paths, '--config', CONFIG, '--output-type', 'json'], { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
  if (r.stdout === '') throw new Error(`depcruise failed: ${r.stderr}`)
  return (JSON.parse(r.stdout) as { summary: { violations: Violation[] } }).summary.violations
}

const described = (v: Violation): string => `${v.rule.name}: ${v.from} → ${v.to}`

describe('the layer order', () => {
  it('holds in src/ and bench/: no import against it, no loop between folders or files', () => {
    expect(check(repoPath(), ['src', 'bench']).map(described)).toEqual([])
  }, 120_000)

  it('is the one docs/architecture.md writes down', () => {
    const doc = readFileSync(repoPath('docs', 'architecture.md'), 'utf8')
    const table = /<!-- layers:start -->([\s\S]*?)<!-- layers:end -->/.exec(doc)?.[1] ?? ''
    const rows = [...table.matchAll(/^\| (\d+) \| `([^`]+)` \|/gm)].map(m => `${m[1]} ${m[2]}`)
    const { layers } = createRequire(import.meta.url)(CONFIG) as { layers: Array<Array<{ level: number, folder: string }>> }
    expect(rows).toEqual(layers.flat().map(f => `${f.level} ${f.folder}`))
  })
})

describe('the layer check, on a planted tree', () => {
  let dir: string
  let found: string[]

  /** A tiny src/ with one mistake of each kind, in folders that do not touch each other. */
  const FILES: Record<string, string> = {
    // Upward: mesh (layer 2) imports node (layer 11).
    'src/mesh/a.ts': "import { b } from '../node/b.js'\nexport const a = b\n",
    'src/node/b.ts': 'export const b = 1\n',
    // Sideways: wire and scheduler share layer 1.
    'src/wire/x.ts': "import { y } from '../scheduler/y.js'\nexport const x = y\n",
    'src/scheduler/y.ts': 'export const y = 1\n',
    // The loop functions/ and runtime/ used to make: no file imports itself round it, the folders do.
    'src/functions/registry.ts': "import type { Runtime } from '../runtime/types.js'\nexport type Registry = Runtime[]\n",
    'src/runtime/types.ts': "import type { Spec } from '../functions/types.js'\nexport interface Runtime { deploy(spec: Spec): void }\n",
    'src/functions/types.ts': 'export interface Spec { name: string }\n',
    // Two files that load each other.
    'src/mesh/p.ts': "import { q } from './q.js'\nexport const p = (): number => q()\n",
    'src/mesh/q.ts': "import { p } from './p.js'\nexport const q = (): number => p()\n",
    // Two files whose types name each other: a type lives with one owner.
    'src/mesh/r.ts': "import type { S } from './s.js'\nexport interface R { s?: S }\n",
    'src/mesh/s.ts': "import type { R } from './r.js'\nexport interface S { r?: R }\n",
    // The loop issue 13 took apart: the executor's errors reaching up into invoke.
    'src/executor/errors.ts': "import type { TraceEntry } from '../invoke/call.js'\nimport { service } from '../invoke/service.js'\nexport type Trace = TraceEntry[]\nexport const s = service\n",
    'src/invoke/call.ts': 'export interface TraceEntry { node: string }\n',
    'src/invoke/service.ts': 'export const service = 1\n',
    'tsconfig.json': readFileSync(repoPath('tsconfig.json'), 'utf8')
  }

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'p2pfaas-layers-'))
    for (const [file, text] of Object.entries(FILES)) {
      mkdirSync(dirname(join(dir, file)), { recursive: true })
      writeFileSync(join(dir, file), text)
    }
    found = check(dir, ['src']).map(described)
  }, 120_000)

  afterAll(() => { rmSync(dir, { recursive: true, force: true }) })

  it('reports an import from a lower layer to a higher one', () => {
    expect(found).toContain('layer-order: src/mesh/a.ts → src/node/b.ts')
    expect(found).toContain('layer-order: src/functions/registry.ts → src/runtime/types.ts')
  })

  it('reports an import between two folders of one layer', () => {
    expect(found).toContain('layer-order: src/wire/x.ts → src/scheduler/y.ts')
  })

  it('reports a loop between folders that no single file closes', () => {
    expect(found).toContain('no-folder-cycle: src/functions → src/runtime')
    expect(found.filter(v => v.startsWith('no-circular:') && v.includes('functions'))).toEqual([])
  })

  it('reports a loop between files, type-only imports included', () => {
    expect(found).toContain('no-circular: src/mesh/p.ts → src/mesh/q.ts')
    expect(found).toContain('no-circular: src/mesh/r.ts → src/mesh/s.ts')
  })

  it('reports the executor reaching up into invoke, type-only imports included', () => {
    expect(found).toContain('layer-order: src/executor/errors.ts → src/invoke/service.ts')
    expect(found).toContain('layer-order: src/executor/errors.ts → src/invoke/call.ts')
  })
})
