import * as z from 'zod'
import { describeValue, type SpecIssue } from './errors.js'
import { FUNCTION_NAME } from '../rules.js'
import { LABELS, type FunctionRuntimeKind } from './types.js'

/** Field rules shared by every way a function comes in (deploy body, stack.yml) and by the store. */

export const MAX_IMAGE_CHARS = 512
export const MAX_ENV_PROCESS_CHARS = 4096
export const MAX_MAP_ENTRIES = 256
export const MAX_KEY_CHARS = 256
export const MAX_VALUE_BYTES = 64 * 1024

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
// Kubernetes-like label/annotation keys ("com.openfaas.scale.min", "example.com/team"): no spaces,
// no control characters, nothing a shell or a log line would trip over.
const META_KEY = /^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$/

export const nameSchema = z.string().transform((s, ctx) => {
  if (!FUNCTION_NAME.test(s)) {
    ctx.addIssue({ code: 'custom', message: `must be 1 to 63 lowercase letters, digits and "-", starting and ending with a letter or digit (got ${describeValue(s)})` })
  }
  return s
})

export const imageSchema = z.string().transform((s, ctx) => {
  if (s.length > MAX_IMAGE_CHARS || /\s/.test(s) || s === '') {
    ctx.addIssue({ code: 'custom', message: `must be an image reference like "ghcr.io/org/fn:1.2", without spaces, at most ${MAX_IMAGE_CHARS} characters (got ${describeValue(s)})` })
  }
  return s
})

export const envProcessSchema = z.string().transform((s, ctx) => {
  if (s.length > MAX_ENV_PROCESS_CHARS || s.trim() === '') {
    ctx.addIssue({ code: 'custom', message: `must be a command of 1 to ${MAX_ENV_PROCESS_CHARS} characters (got ${describeValue(s)})` })
  }
  return s
})

export type MapKind = 'env' | 'meta'

const KEY_RULE: Record<MapKind, { pattern: RegExp, says: string }> = {
  env: { pattern: ENV_KEY, says: 'an environment variable name: letters, digits and "_", not starting with a digit' },
  meta: { pattern: META_KEY, says: 'letters, digits and ".", "_", "-", "/", starting and ending with a letter or digit' }
}

export const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

/** Problems of one string→string map; paths are relative to the map. */
export function mapIssues (value: unknown, kind: MapKind): SpecIssue[] {
  if (!isPlainObject(value)) return [{ path: [], message: `must be a map of string to string (got ${describeValue(value)})` }]
  const entries = Object.entries(value)
  if (entries.length > MAX_MAP_ENTRIES) {
    return [{ path: [], message: `has ${entries.length} entries; at most ${MAX_MAP_ENTRIES}` }]
  }
  const issues: SpecIssue[] = []
  const rule = KEY_RULE[kind]
  for (const [key, v] of entries) {
    // "__proto__" would not survive being copied into a plain object, so it is refused rather than lost.
    if (key.length > MAX_KEY_CHARS || !rule.pattern.test(key) || key === '__proto__') {
      issues.push({ path: [key], message: `bad key: must be ${rule.says}, at most ${MAX_KEY_CHARS} characters` })
    } else if (typeof v !== 'string') {
      issues.push({ path: [key], message: `must be a string (got ${describeValue(v)})` })
    } else if (Buffer.byteLength(v) > MAX_VALUE_BYTES) {
      issues.push({ path: [key], message: `is ${Buffer.byteLength(v)} bytes; at most ${MAX_VALUE_BYTES}` })
    }
  }
  return issues
}

export const stringMapSchema = (kind: MapKind): z.ZodType<Record<string, string>> =>
  z.unknown().transform((value, ctx) => {
    const issues = mapIssues(value, kind)
    for (const i of issues) ctx.addIssue({ code: 'custom', message: i.message, path: i.path })
    return issues.length === 0 ? { ...(value as Record<string, string>) } : z.NEVER
  })

/**
 * What each runtime cannot do without: a container needs an image, a host process needs a command.
 * Paths use the deploy-body names (`image`, `envProcess`), which the spec shares.
 */
export function runtimeNeeds (runtime: FunctionRuntimeKind, hasImage: boolean, hasEnvProcess: boolean): SpecIssue[] {
  if (runtime === 'http' && !hasImage) {
    return [{ path: ['image'], message: `is required: the container image to run (or set label "${LABELS.runtime}": "process" and envProcess to run a command on this host)` }]
  }
  if (runtime === 'process' && !hasEnvProcess) {
    return [{ path: ['envProcess'], message: `is required when "${LABELS.runtime}" is "process": the command to run` }]
  }
  return []
}
