import { peerIdFromString } from '@libp2p/peer-id'
import { parseDuration } from '../rules.js'
import { PolicyError, shown } from './errors.js'

/**
 * What each policy parameter accepts. One table per policy serves both its factory (typed values
 * from code) and the registry (text from a CLI flag, env or the original's JSON body), so the range
 * checked and the range named in the error are always the same.
 */
export type ParamSpec =
  | { kind: 'int', min: number, max: number, about: string }
  | { kind: 'number', min: number, max: number, about: string }
  | { kind: 'bool', about: string }
  /** Milliseconds in code; as text either "250" (ms) or a Go duration such as "250ms", "1.5s". */
  | { kind: 'duration', min: number, max: number, about: string }
  /** A libp2p PeerId as text (12D3KooW…, Qm… or its CID form), kept in its usual base58 form. */
  | { kind: 'peer-id', about: string }

export type ParamSpecs = Readonly<Record<string, ParamSpec>>
export type ParamValue = number | boolean | string

/** Hand-offs a call may make in all; 8 is far beyond any useful chain and bounds a loop. */
export const MAX_HOPS_LIMIT = 8
export const DEFAULT_MAX_HOPS = 1
export const MAX_HOPS_SPEC: ParamSpec = { kind: 'int', min: 0, max: MAX_HOPS_LIMIT, about: 'hand-offs a call may make in all' }
export const LOSS_SPEC: ParamSpec = { kind: 'bool', about: 'reject a call that would run here when no slot is free, instead of queueing it' }

export function accepted (spec: ParamSpec): string {
  switch (spec.kind) {
    case 'int': return `an integer from ${spec.min} to ${spec.max}`
    case 'number': return `a number from ${spec.min} to ${spec.max}`
    case 'bool': return 'true or false'
    case 'duration': return `a duration from ${spec.min}ms to ${spec.max}ms, such as "100ms", "1.5s" or a number of milliseconds`
    case 'peer-id': return 'a libp2p PeerId, such as 12D3KooW… (a node logs its own at start)'
  }
}

function fail (policy: string, key: string, spec: ParamSpec, value: unknown): never {
  throw new PolicyError(`${policy}: ${key} must be ${accepted(spec)} (got ${shown(value)})`)
}

/** Longer than any PeerId's text: what is longer is not parsed at all. */
const MAX_PEER_ID_CHARS = 128

/** The PeerId's usual text (what `peerId.toString()` gives, so it compares equal), or undefined. */
function canonicalPeerId (text: string): string | undefined {
  if (text.length === 0 || text.length > MAX_PEER_ID_CHARS) return undefined
  try {
    return peerIdFromString(text).toString()
  } catch {
    return undefined
  }
}

/** The value in its kept form when it fits the spec (a PeerId made canonical), else undefined. */
function normalised (spec: ParamSpec, value: unknown): ParamValue | undefined {
  switch (spec.kind) {
    case 'bool': return typeof value === 'boolean' ? value : undefined
    case 'peer-id': return typeof value === 'string' ? canonicalPeerId(value) : undefined
    default:
      if (typeof value !== 'number' || !Number.isFinite(value) || value < spec.min || value > spec.max) return undefined
      return spec.kind !== 'int' || Number.isInteger(value) ? value : undefined
  }
}

/** A typed value from code, checked against its spec; undefined gives the fallback (the default). */
export function checkParam<T extends ParamValue> (policy: string, key: string, spec: ParamSpec, value: unknown, fallback: T): T
export function checkParam<T extends ParamValue> (policy: string, key: string, spec: ParamSpec, value: unknown, fallback?: T): T | undefined
export function checkParam (policy: string, key: string, spec: ParamSpec, value: unknown, fallback?: ParamValue): ParamValue | undefined {
  if (value === undefined) return fallback
  return normalised(spec, value) ?? fail(policy, key, spec, value)
}

const INT = /^\+?\d+$/
const DECIMAL = /^\+?(\d+\.?\d*|\.\d+)$/
// strconv.ParseBool's spellings, which the original accepted, plus any casing of true/false.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True'])
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False'])

function parseBool (text: string): boolean | undefined {
  if (TRUE.has(text) || text.toLowerCase() === 'true') return true
  if (FALSE.has(text) || text.toLowerCase() === 'false') return false
  return undefined
}

/**
 * Go's time.ParseDuration for non-negative values ("100ms", "1m30s", "0"), in milliseconds; a bare
 * number is milliseconds here, as the original's parameters were (the shared parser, src/rules.ts).
 */
export const parseDurationMs = (text: string): number | undefined => parseDuration(text, 'ms')

/** A parameter from text, converted to its type and checked against its spec. */
export function parseParam (policy: string, key: string, spec: ParamSpec, raw: string): ParamValue {
  const text = raw.trim()
  let value: ParamValue | undefined
  switch (spec.kind) {
    case 'bool':
      value = parseBool(text)
      break
    case 'int': value = INT.test(text) ? Number(text) : undefined; break
    case 'number': value = DECIMAL.test(text) ? Number(text) : undefined; break
    case 'duration': value = parseDurationMs(text); break
    case 'peer-id': value = text; break
  }
  // The error shows the text as given, not what it converted to.
  return (value === undefined ? undefined : normalised(spec, value)) ?? fail(policy, key, spec, raw)
}

/**
 * With maxHops=0 no call is ever handed off: the hop limit decides every call and the policy is never
 * asked, so parameters only its decisions read would be accepted and ignored. Refused when given,
 * naming them (left out, their defaults harm nobody).
 */
export function refuseUnusedWithoutHops (policy: string, maxHops: number, params: object, keys: readonly string[]): void {
  if (maxHops > 0) return
  const given = keys.filter(k => (params as Record<string, unknown>)[k] !== undefined)
  if (given.length === 0) return
  throw new PolicyError(`${policy}: with maxHops=0 no call is handed off, so the policy is never asked and ${given.join(', ')} would be ignored; ` +
    'give maxHops 1 or more, or use "local"')
}

/** Keys a caller passed that the policy does not take: a typo there would otherwise be silently ignored. */
export function checkKnownKeys (policy: string, params: object, specs: ParamSpecs): void {
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(specs, key)) {
      throw new PolicyError(`${policy}: unknown parameter ${shown(key)}; accepted: ${Object.keys(specs).join(', ')}`)
    }
  }
}
