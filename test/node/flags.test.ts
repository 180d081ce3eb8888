import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { ConfigError, resolveNodeConfig, type NodeConfig } from '../../src/node/config.js'
import { FLAGS_DOC_END, FLAGS_DOC_START, withFlagsTable } from '../../src/node/flags-doc.js'
import { defaultText, nodeFlagSpecs, type FlagSpec, type NodeFlags } from '../../src/node/flags.js'

const README = new URL('../../README.md', import.meta.url)
const longName = (spec: FlagSpec): string => spec.flag.split(' ')[0]!
/** The flags whose value a test can set from outside: all but the switches. */
const valued = nodeFlagSpecs().filter(([, spec]) => spec.kind === 'value' || spec.kind === 'list')
/** Too long for every check of a text or list flag, so each refuses it. */
const bad = 'x'.repeat(5000)

describe('the node flag table', () => {
  it('names every env variable P2PFAAS_ and the long name', () => {
    for (const [, spec] of nodeFlagSpecs()) {
      expect(spec.env).toBe(`P2PFAAS_${longName(spec).slice(2).replaceAll('-', '_').toUpperCase()}`)
    }
  })

  it('gives the configuration its defaults', () => {
    const config: Record<string, unknown> = resolveNodeConfig({}, { HOME: '/home/u' })
    for (const [key, spec] of nodeFlagSpecs()) {
      if (key === 'mdns' || key === 'mdnsInterval') continue
      const field = spec.config ?? key
      expect(Object.hasOwn(config, field), field).toBe(true)
      const text = defaultText(spec)
      const expected = spec.kind === 'switch' ? false : spec.kind === 'list' ? spec.schema.parse([...spec.default]) : text == null ? undefined : spec.schema.parse(text)
      if (key !== 'dataDir') expect(config[field], field).toEqual(expected)
    }
    expect(config.dataDir).toBe('/home/u/.local/share/p2pfaas')
    expect(config.mdns).toBe(5000)
  })

  it('reads every flag from its env variable, and refuses a bad value naming the flag', () => {
    for (const [key, spec] of valued) {
      let err: unknown
      try { resolveNodeConfig({}, { [spec.env]: bad }) } catch (e) { err = e }
      expect(err, key).toBeInstanceOf(ConfigError)
      expect((err as Error).message, key).toContain(`${longName(spec)}`)
    }
  })

  it('lets a flag win over its env variable', () => {
    for (const [key, spec] of valued) {
      const text = defaultText(spec)
      if (text == null) continue
      const given = spec.kind === 'list' ? [...spec.default] : text
      expect(() => resolveNodeConfig({ [key]: given } as NodeFlags, { [spec.env]: bad }), key).not.toThrow()
    }
  })

  it('turns the switches on or off by flag or env', () => {
    expect(resolveNodeConfig({}, { P2PFAAS_NO_MDNS: 'yes', P2PFAAS_PRIVATE_READS: 'on' })).toMatchObject({ mdns: false, privateReads: true })
    expect(resolveNodeConfig({ mdns: true, privateReads: false }, { P2PFAAS_NO_MDNS: '1', P2PFAAS_PRIVATE_READS: 'true' })).toMatchObject({ mdns: false, privateReads: true })
    expect(resolveNodeConfig({ mdns: false, privateReads: true }, {})).toMatchObject({ mdns: false, privateReads: true })
    expect(resolveNodeConfig({}, { P2PFAAS_NO_MDNS: '0', P2PFAAS_PRIVATE_READS: 'no' })).toMatchObject({ mdns: 5000, privateReads: false })
  })

  it('keeps the typed config as the node reads it', () => {
    const c: NodeConfig = resolveNodeConfig({ heartbeat: '300', admin: [], maxBody: '2048', stopGrace: '5' }, {})
    expect(c).toMatchObject({ heartbeatMs: 300, admins: [], maxBodyBytes: 2048, stopGraceMs: 5, policyModules: [] })
    expect(Object.keys(c)).not.toContain('mdnsInterval')
  })
})

describe("the README's flag table", () => {
  const readme = readFileSync(README, 'utf8')
  const section = readme.slice(readme.indexOf(FLAGS_DOC_START), readme.indexOf(FLAGS_DOC_END))

  it('is the one the flag table makes (npm run gen:flags-doc)', () => {
    expect(withFlagsTable(readme)).toBe(readme)
  })

  it('lists every flag with its env name and default, and no other', () => {
    const rows = section.split('\n').filter(line => line.startsWith('| `--'))
    expect(rows).toHaveLength(nodeFlagSpecs().length)
    for (const [key, spec] of nodeFlagSpecs()) {
      const row = rows.find(r => r.startsWith(`| \`${spec.flag}\``))
      expect(row, key).toBeDefined()
      expect(row, key).toContain(`\`${spec.env}`)
      const text = defaultText(spec)
      expect(row, key).toContain(spec.docDefault ?? (text == null ? 'none' : `\`${text}\``))
    }
  })
})
