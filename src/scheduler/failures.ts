import { createKeyedWarn, type Logger } from '../log.js'
import type { PolicyFailure, PolicyFailureKind } from './guard.js'

export interface PolicyFailureCount {
  policy: string
  kind: PolicyFailureKind
  count: number
}

/** One node's record of its policies' failures: the metric's counts and the rate-limited log. */
export interface PolicyFailures {
  record(failure: PolicyFailure): void
  /** For `p2pfaas_policy_failures_total{policy, kind}`, read at scrape time. */
  counts(): PolicyFailureCount[]
}

export interface PolicyFailuresInit {
  log: Logger
  /** At most one log line per policy this often (ms); default 10 s. */
  everyMs?: number
  now?: () => number
}

/**
 * A broken plugin fails on every call, maybe thousands a second: each failure is counted, but the
 * log gets one line per policy per 10 s, with the number held back, so it says what is wrong without
 * drowning everything else. Counts are keyed by policy name, which only an operator can add to
 * (built-ins and loaded modules), so the metric's series stay few.
 */
export function createPolicyFailures (init: PolicyFailuresInit): PolicyFailures {
  const warn = createKeyedWarn(init.log, { everyMs: init.everyMs ?? 10_000, now: init.now })
  const counts = new Map<string, PolicyFailureCount>()
  return {
    record (f) {
      const key = `${f.policy}\n${f.kind}`
      const entry = counts.get(key) ?? { policy: f.policy, kind: f.kind, count: 0 }
      entry.count++
      counts.set(key, entry)
      const what = f.kind === 'threw' ? `${f.step}() threw` : `${f.step}() answered an invalid decision`
      const then = f.step === 'observe' ? 'ignored' : 'the call was decided by the default policy instead'
      warn(f.policy, { policy: f.policy, kind: f.kind, step: f.step, error: f.message }, `scheduling policy ${f.policy}: ${what}; ${then}`)
    },
    counts: () => [...counts.values()].map(c => ({ ...c }))
  }
}
