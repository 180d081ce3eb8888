import { describe, expect, it } from 'vitest'
import { PolicyError } from '../../src/scheduler/errors.js'
import { createLocal } from '../../src/scheduler/local.js'
import { sharedRules, run } from './contract.js'
import { cand, here, req } from './fixtures.js'

describe('local (NoScheduler)', () => {
  sharedRules(() => createLocal(), () => createLocal({ loss: true }))

  it('runs every call here, even full with idle peers around', () => {
    const idle = [cand('A', 0), cand('B', 0)]
    expect(run(createLocal(), req(), here(0), idle).action).toBe('local')
    expect(run(createLocal(), req(), here(4, 4), idle).action).toBe('local')
  })

  it('in loss mode rejects when every slot is busy, whatever the queue (Erlang B)', () => {
    const idle = [cand('A', 0)]
    expect(run(createLocal({ loss: true }), req(), here(3), idle).action).toBe('local')
    const d = run(createLocal({ loss: true }), req(), here(4, 0, 4, 10), idle)
    expect(d.action).toBe('reject')
    expect(d.reason).toMatch(/loss mode/)
  })

  it('shows the original label and its parameters', () => {
    expect(createLocal().label).toBe('NoScheduler(false)')
    expect(createLocal({ loss: true }).label).toBe('NoScheduler(true)')
    expect(createLocal().parameters).toEqual({ loss: false, maxHops: 1 })
    expect(createLocal().name).toBe('local')
  })

  it('refuses bad parameters, naming them', () => {
    expect(() => createLocal({ loss: 'true' as unknown as boolean })).toThrow(PolicyError)
    expect(() => createLocal({ loss: 'true' as unknown as boolean })).toThrow('local: loss must be true or false (got "true")')
    expect(() => createLocal({ los: true } as never)).toThrow(/unknown parameter "los"; accepted: loss, maxHops/)
  })
})
