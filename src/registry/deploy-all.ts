import { RuntimeError } from '../runtime/types.js'
import type { FunctionRegistry } from './registry.js'
import type { FunctionSpec } from '../functions/types.js'

export type DeployAllResult =
  | { ok: true, deployed: string[] }
  /** Stopped at the first failure: the functions before it stay deployed. */
  | { ok: false, code: string, message: string, deployed: string[] }

/**
 * Deploys several functions in order, as a stack.yml asks, stopping at the first that fails. The
 * HTTP API and the management protocol both answer with this, so their users see the same thing.
 */
export async function deployAll (registry: FunctionRegistry, specs: FunctionSpec[]): Promise<DeployAllResult> {
  const deployed: string[] = []
  for (const spec of specs) {
    try {
      await registry.deploy(spec)
      deployed.push(spec.name)
    } catch (err) {
      if (err instanceof RuntimeError) return { ok: false, code: err.code, message: err.message, deployed }
      throw err
    }
  }
  return { ok: true, deployed }
}
