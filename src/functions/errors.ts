import type * as z from 'zod'

/** One problem, located by the path of the field it is about (empty path: the input as a whole). */
export interface SpecIssue {
  path: PropertyKey[]
  message: string
}

/**
 * Any problem with a function description from the outside (deploy body, stack.yml, the store's
 * file). `issues` holds one line per problem, already prefixed with the field path, so an HTTP layer
 * can return them as they are and a CLI can print them one per line.
 */
export class FunctionSpecError extends Error {
  override name = 'FunctionSpecError'
  readonly issues: string[]

  constructor (issues: string[]) {
    super(issues.join('\n'))
    this.issues = issues
  }

  static from (issues: SpecIssue[]): FunctionSpecError {
    return new FunctionSpecError(issues.map(formatIssue))
  }
}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/

const MAX_KEY_SHOWN = 60

/**
 * `labels["p2pfaas.queue"]`, `limits.memory`, `secrets[0]`: the way a reader would write it in JS.
 * Keys come from the caller and may be huge, so long ones are cut.
 */
export function formatPath (path: readonly PropertyKey[]): string {
  let out = ''
  for (const key of path) {
    const k = String(key)
    const shown = k.length > MAX_KEY_SHOWN ? `${k.slice(0, MAX_KEY_SHOWN)}…` : k
    if (typeof key === 'number') out += `[${key}]`
    else if (IDENTIFIER.test(shown)) out += out === '' ? shown : `.${shown}`
    else out += `[${JSON.stringify(shown)}]`
  }
  return out
}

export function formatIssue (issue: SpecIssue): string {
  return issue.path.length === 0 ? issue.message : `${formatPath(issue.path)}: ${issue.message}`
}

/** Zod reports every unknown key of an object in one issue; a reader wants one line per key. */
export function issuesFromZod (error: z.ZodError): SpecIssue[] {
  const out: SpecIssue[] = []
  for (const i of error.issues) {
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) out.push({ path: [...i.path, key], message: i.message })
    } else {
      out.push({ path: [...i.path], message: i.message })
    }
  }
  return out
}

/** A short, safe rendering of a bad input for "(got ...)": never echoes a 64 KiB value back. */
export function describeValue (value: unknown): string {
  if (value === undefined) return 'nothing'
  if (value === null) return 'null'
  if (typeof value === 'string') {
    return value.length > 60 ? `${JSON.stringify(value.slice(0, 60))}… (${value.length} chars)` : JSON.stringify(value)
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value)
  if (Array.isArray(value)) return 'a list'
  return `a ${typeof value}`
}

const EXPECTED: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  record: 'an object',
  array: 'a list'
}

/**
 * Per-parse zod error map: plain words for the generic issues. Schemas that say something more
 * specific set their own message, which zod prefers over this one.
 */
export const friendlyError: z.core.$ZodErrorMap = (iss) => {
  switch (iss.code) {
    case 'invalid_type':
      if (iss.input === undefined) return 'is required'
      return `must be ${EXPECTED[iss.expected] ?? iss.expected} (got ${describeValue(iss.input)})`
    case 'unrecognized_keys':
      return 'unknown field'
    case 'invalid_union': {
      const expected = new Set(iss.errors.flat().flatMap(i => i.code === 'invalid_type' ? [EXPECTED[i.expected] ?? i.expected] : []))
      return expected.size === 0 ? undefined : `must be ${[...expected].join(' or ')} (got ${describeValue(iss.input)})`
    }
    case 'too_big':
      return `must be at most ${String(iss.maximum)} (got ${describeValue(iss.input)})`
    case 'too_small':
      return `must be at least ${String(iss.minimum)} (got ${describeValue(iss.input)})`
    case 'invalid_value':
      return `must be one of ${iss.values.map(v => JSON.stringify(v)).join(', ')} (got ${describeValue(iss.input)})`
    default:
      return undefined
  }
}
