import { isTruthy } from '../rules.js'
import { NODE_FLAG_KEYS, NODE_FLAGS, nodeFlagsSchema, type CheckedFlags, type Env, type FlagSpec, type NodeFlagKey, type NodeFlagTable, type NodeFlags } from './flags.js'

export { DEFAULT_LISTEN, DEFAULT_MAX_BODY_BYTES, defaultDataDir, type NodeFlags } from './flags.js'

type Simplify<T> = { [K in keyof T]: T[K] } & {}
type ConfigName<K> = K extends NodeFlagKey ? (NodeFlagTable[K] extends { config: infer N extends string } ? N : K) : never
type Renamed = { [K in keyof CheckedFlags as ConfigName<K>]: CheckedFlags[K] }

/**
 * The node's settings after flags, env and defaults are merged and checked. Trusted inside. Each
 * field is a flag's checked value under its config name; see the flag in ./flags.ts for its meaning.
 */
export type NodeConfig = Simplify<Omit<Renamed, 'mdns' | 'mdnsInterval'> & {
  /** mDNS query interval (ms), or false when mDNS is off. */
  mdns: number | false
}>

export class ConfigError extends Error {
  override name = 'ConfigError'
}

const list = (v: string | undefined): string[] | undefined =>
  v == null || v.trim() === '' ? undefined : v.split(',').map(s => s.trim()).filter(s => s !== '')

const nonEmpty = (a: string[] | undefined): string[] | undefined => a != null && a.length > 0 ? a : undefined

/** One flag's raw value: the flag's when given, else the env's, else the table's default. */
function rawValue (spec: FlagSpec, given: unknown, env: Env): unknown {
  const fromEnv = env[spec.env]
  switch (spec.kind) {
    case 'list':
      return nonEmpty(given as string[] | undefined) ?? list(fromEnv) ?? [...spec.default]
    // A switch's flag can only turn it one way; the env turns it that way too.
    case 'switch':
      return given === true || isTruthy(fromEnv)
    case 'negated':
      return given === false ? false : !isTruthy(fromEnv)
    case 'value':
      if (given != null) return given
      // Without a default, an empty env value means unset; with one, it is a value and checked as such.
      if (spec.default == null) return fromEnv === '' ? undefined : fromEnv
      return fromEnv ?? (typeof spec.default === 'function' ? spec.default(env) : spec.default)
  }
}

const checked = nodeFlagsSchema.refine(c => c.maxConnections > c.links, { message: '--max-connections must be above --links: hand-offs need room beside the links' })

/** Flags win over env, env over defaults. Throws ConfigError with every problem listed. */
export function resolveNodeConfig (flags: NodeFlags, env: Env = process.env): NodeConfig {
  const raw = Object.fromEntries(NODE_FLAG_KEYS.map(k => [k, rawValue(NODE_FLAGS[k], flags[k], env)]))
  const parsed = checked.safeParse(raw)
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map(naming).join('\n'))
  }
  return toConfig(parsed.data)
}

/** An issue's message, led by its flag's name when the check's own message does not say it. */
function naming (issue: { path: PropertyKey[], message: string }): string {
  const key = issue.path[0]
  const spec = typeof key === 'string' && Object.hasOwn(NODE_FLAGS, key) ? NODE_FLAGS[key as NodeFlagKey] as FlagSpec : undefined
  const name = spec?.flag.split(' ')[0]
  return name == null || issue.message.includes(name) ? issue.message : `${name}: ${issue.message}`
}

const configName = (key: string): string => (NODE_FLAGS[key as NodeFlagKey] as FlagSpec).config ?? key

function toConfig ({ mdns, mdnsInterval, ...rest }: CheckedFlags): NodeConfig {
  const renamed = Object.fromEntries(Object.entries(rest).map(([key, value]) => [configName(key), value]))
  // The one place the names are not checked by the compiler: the test of the defaults reads every field.
  return { ...renamed, mdns: mdns ? mdnsInterval : false } as NodeConfig
}
