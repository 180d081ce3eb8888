/**
 * An AbortSignal that fires after `ms` or when `parent` does, whichever is first, plus a way to
 * release its timer. Not AbortSignal.any/timeout: on Node 20 a signal made by AbortSignal.any is
 * only weakly held by its sources, so one nobody else references can be garbage collected before
 * it fires, and its 'abort' listeners never run (seen as a CLI hanging forever in mDNS discovery).
 */
export function deadlineSignal (ms: number, parent?: AbortSignal): { signal: AbortSignal, clear: () => void } {
  const controller = new AbortController()
  const onParent = (): void => { controller.abort(parent?.reason) }
  const timer = setTimeout(() => { controller.abort(new DOMException(`timed out after ${ms} ms`, 'TimeoutError')) }, ms)
  if (parent?.aborted === true) onParent()
  else parent?.addEventListener('abort', onParent, { once: true })
  return {
    signal: controller.signal,
    clear: () => {
      clearTimeout(timer)
      parent?.removeEventListener('abort', onParent)
    }
  }
}

/**
 * Resolves after `ms`, or rejects with the signal's reason once it aborts, whichever is first; the
 * timer is released either way. Global setTimeout, so a test's fake timers drive it.
 */
export async function sleep (ms: number, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted()
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => { clearTimeout(timer); reject(signal.reason) }
    const timer = setTimeout(() => { signal.removeEventListener('abort', onAbort); resolve() }, Math.max(0, ms))
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
