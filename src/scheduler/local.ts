import { runHere } from './load.js'
import { checkKnownKeys, checkParam, DEFAULT_MAX_HOPS, LOSS_SPEC, MAX_HOPS_SPEC, type ParamSpecs } from './params.js'
import type { Policy } from './types.js'

export const LOCAL = 'local'

export interface LocalParams {
  /** Reject a call that finds no free slot instead of queueing it. Default false. */
  loss?: boolean
  /** Only matters for a forced forward (X-P2pfaas-Scheduler-Forward). Default 1. */
  maxHops?: number
}

export const LOCAL_PARAMS: ParamSpecs = { loss: LOSS_SPEC, maxHops: MAX_HOPS_SPEC }

/**
 * The original's NoScheduler: every call runs here. With loss=true this node is a pure loss system
 * (M/M/K/K, Erlang B): the baseline the papers measure blocking against.
 */
export function createLocal (params: LocalParams = {}): Policy {
  checkKnownKeys(LOCAL, params, LOCAL_PARAMS)
  const loss = checkParam(LOCAL, 'loss', LOSS_SPEC, params.loss, false)
  const maxHops = checkParam(LOCAL, 'maxHops', MAX_HOPS_SPEC, params.maxHops, DEFAULT_MAX_HOPS)
  return Object.freeze({
    name: LOCAL,
    label: `NoScheduler(${loss})`,
    maxHops,
    parameters: Object.freeze({ loss, maxHops }),
    decide: (_req, local) => runHere(local, loss, 'local policy runs every call here')
  } satisfies Policy)
}
