/**
 * Any bad scheduling configuration from the outside (CLI flag, env, POST /configuration/scheduler,
 * a factory called with wrong values). The message names the parameter and what it accepts, so an
 * HTTP layer can answer 400 with it as it is and a CLI can print it.
 */
export class PolicyError extends Error {
  override name = 'PolicyError'
}

const MAX_SHOWN = 60

/** A value as a reader would type it, cut when long (it may come from an untrusted body). */
export function shown (value: unknown): string {
  let text: string
  if (value === undefined) text = 'undefined'
  else if (typeof value === 'number' && !Number.isFinite(value)) text = String(value)
  else {
    try {
      text = JSON.stringify(value) ?? String(value)
    } catch {
      text = String(value)
    }
  }
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text
}
