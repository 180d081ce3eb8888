import { describe, expect, it } from 'vitest'
import { parsePolicy, PolicyError, policyFromOriginal, toOriginal } from '../../src/scheduler/registry.js'
import { createRoundRobinMaster } from '../../src/scheduler/round-robin-master.js'
import { decide } from '../../src/scheduler/rules.js'
import type { Candidate, Policy } from '../../src/scheduler/types.js'
import { cand, chosen, here, req } from './fixtures.js'
import { mulberry32, seeds } from './rng.js'

// Real PeerIds (the master's is checked as one), named by where they sort: A < B < H < R.
const A = '12D3KooWALCRPo7rcA5TtfcBPjnhFqTrU1iDWDQnnFzYGnAoAaUt'
const B = '12D3KooWBHjCGCqp1z99Fjb9fzHY9nWdBzyzhxVYBhXWe13VwvxJ'
const H = '12D3KooWHAe28B8avaq9GUwRQBmmWzDpuW3U49b62oGcm4gaAVfT'
const R = '12D3KooWR51jRwGsqjvnxPAi4Qjb3NTt54a9gM2k5EofEXdTYwG1'
const B_AS_CID = 'bafzaajaiaejcafo6essx4lh3hhmqvwokq7yegywjnnm636pieod2blfwluh6u37l'
const MASTER = B

/** A holder whose load this node does not know, as the invoke service offers it to this policy. */
const unknown = (peerId: string): Candidate => ({ peerId, running: 0, queued: 0, capacity: 0, ageMs: Number.POSITIVE_INFINITY })
/** Every other holder, listed out of order, loads all over the place. */
const holders = (but: string): Candidate[] => [cand(R, 4, 4), unknown(H), cand(A, 0), cand(B, 2)].filter(c => c.peerId !== but)
const master = (over: Parameters<typeof createRoundRobinMaster>[0] = {}): Policy => createRoundRobinMaster({ master: MASTER, ...over })
const short = (id: string | undefined): string => id === undefined ? 'local' : ({ [A]: 'A', [B]: 'B', [H]: 'H', [R]: 'R' })[id] ?? id

describe('round-robin-master (RoundRobinWithMasterScheduler): on a node that is not the master', () => {
  it('hands every call a client made to it to the master, and to no one else, whatever the loads and the rng', () => {
    const policy = master()
    for (const s of seeds(50)) {
      const d = decide(policy, req({ self: A }), here(s % 5), holders(A), mulberry32(s))
      expect(d).toEqual({ action: 'forward', peers: [MASTER], reason: 'every call goes through the master', ifRefused: 'reject' })
    }
  })

  it('refuses, saying why, when the master is not a candidate: as the original, it does not run the call here instead', () => {
    const d = decide(master(), req({ self: A }), here(0), [cand(H, 0), cand(R, 0)], mulberry32(1))
    expect(d.action).toBe('reject')
    expect(d.reason).toContain(`the master ${MASTER} is out of reach`)
    // No candidate at all: the shared rules would run it here; this policy is asked and refuses.
    expect(decide(master(), req({ self: A }), here(0), [], mulberry32(1)).action).toBe('reject')
  })

  it('runs a call handed to it here (the master placed it); loss mode refuses it when no slot is free', () => {
    const policy = master({ maxHops: 3 })
    expect(decide(policy, req({ self: A, hops: 1, path: [MASTER] }), here(1), holders(A), mulberry32(1)).action).toBe('local')
    expect(decide(policy, req({ self: A, hops: 2, path: [H, MASTER] }), here(4), holders(A), mulberry32(1)).action).toBe('local')
    expect(decide(master({ loss: true, maxHops: 3 }), req({ self: A, hops: 1, path: [MASTER] }), here(4), holders(A), mulberry32(1)).action).toBe('reject')
    // At the default hop limit (2: to the master, on to this node) the shared rule does the same.
    expect(decide(master(), req({ self: A, hops: 2, path: [H, MASTER] }), here(1), holders(A), mulberry32(1)).action).toBe('local')
  })
})

describe('round-robin-master: on the master', () => {
  it('places calls in turn over itself and every holder, in PeerId order, whatever the order, loads and rng', () => {
    const policy = master()
    const picks = seeds(9).map(s => decide(policy, req({ self: MASTER }), here(s % 5), holders(MASTER), mulberry32(s)))
    expect(picks.map(d => short(chosen(d)))).toEqual(['A', 'local', 'H', 'R', 'A', 'local', 'H', 'R', 'A'])
    expect(picks[1]).toMatchObject({ action: 'local' })
    // Should the chosen node refuse, the next in the cycle; the master itself is the last resort.
    expect(picks[2]).toMatchObject({ action: 'forward', peers: [H, R, A] })
  })

  it('replays the same cycle with any rng', () => {
    const a = master()
    const b = master()
    for (const s of seeds(8)) {
      expect(decide(a, req({ self: MASTER }), here(0), holders(MASTER), mulberry32(s)))
        .toEqual(decide(b, req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1000 + s)))
    }
  })

  it('takes calls sent by the other nodes too, and never sends one back to where it came from', () => {
    const policy = master()
    const fromA = req({ self: MASTER, hops: 1, path: [A] })
    const picks = seeds(6).map(s => short(chosen(decide(policy, fromA, here(0), holders(MASTER), mulberry32(s)))))
    expect(picks).toEqual(['local', 'H', 'R', 'local', 'H', 'R'])
  })

  it('keeps its place as holders come and go', () => {
    const policy = master()
    const at = (cands: Candidate[]): string => short(chosen(decide(policy, req({ self: MASTER }), here(0), cands, mulberry32(1))))
    expect(at([cand(A, 0), cand(R, 0)])).toBe('A')
    expect(at([cand(A, 0), cand(R, 0)])).toBe('local')
    // H joined after the master's turn: it is next.
    expect(at([cand(A, 0), cand(H, 0), cand(R, 0)])).toBe('H')
    // R left: wrap round to A.
    expect(at([cand(A, 0), cand(H, 0)])).toBe('A')
  })

  it('runs every call here when it is the only holder', () => {
    const policy = master({ loss: true })
    for (const s of seeds(3)) expect(decide(policy, req({ self: MASTER }), here(1), [], mulberry32(s)).action).toBe('local')
    // Its own turn with no free slot, in loss mode: refused, as any call that must run here.
    expect(decide(policy, req({ self: MASTER }), here(4), [], mulberry32(1)).action).toBe('reject')
  })

  it('with maxHops=1 runs every call the other nodes send it (the hop limit), and cycles its own clients\' calls', () => {
    const policy = master({ maxHops: 1 })
    expect(decide(policy, req({ self: MASTER, hops: 1, path: [A] }), here(0), holders(MASTER), mulberry32(1)).reason).toMatch(/hop limit/)
    expect(chosen(decide(policy, req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1)))).toBe(A)
  })

  it('keeps a cursor per instance', () => {
    const a = master()
    decide(a, req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1))
    expect(chosen(decide(master(), req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1)))).toBe(A)
    expect(chosen(decide(a, req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1)))).toBeUndefined()
  })
})

describe('round-robin-master: the rules every policy shares, and its configuration', () => {
  it('follows bypass and a forced forward (a random holder) like every policy', () => {
    expect(decide(master(), req({ self: A, bypass: true }), here(0), holders(A), mulberry32(1))).toEqual({ action: 'local', reason: 'bypass requested' })
    const firsts = new Set(seeds(60).map(s => short(chosen(decide(master(), req({ self: A, forceForward: true }), here(0), holders(A), mulberry32(s))))))
    expect(firsts).toEqual(new Set(['B', 'H', 'R']))
  })

  it('asks for every holder as a candidate, its load known or not', () => {
    expect(master().offered).toBe('all-holders')
  })

  it('with isMaster given (the original\'s first parameter), refuses every call where it disagrees with the PeerId', () => {
    const claimsMaster = master({ isMaster: true })
    const d = decide(claimsMaster, req({ self: A }), here(0), holders(A), mulberry32(1))
    expect(d).toMatchObject({ action: 'reject' })
    expect(d.reason).toBe(`misconfigured: isMaster=true, but this node is not the master ${MASTER}`)
    expect(decide(master({ isMaster: false }), req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1)).reason).toMatch(/isMaster=false, but this node is the master/)
    expect(decide(claimsMaster, req({ self: MASTER }), here(0), holders(MASTER), mulberry32(1)).action).toBe('forward')
    expect(decide(master({ isMaster: false }), req({ self: A }), here(0), holders(A), mulberry32(1))).toMatchObject({ peers: [MASTER] })
  })

  it('labels itself as the original did when it can, and shows its parameters', () => {
    expect(master({ isMaster: true, loss: true }).label).toBe(`RoundRobinWithMasterScheduler(true, ${MASTER}, true)`)
    expect(master().label).toBe(`RoundRobinWithMaster(master=${MASTER}, loss=false, maxHops=2)`)
    expect(master({ isMaster: false, maxHops: 3 }).label).toBe(`RoundRobinWithMaster(master=${MASTER}, loss=false, maxHops=3)`)
    expect(master().parameters).toEqual({ master: MASTER, loss: false, maxHops: 2 })
    expect(master({ isMaster: false }).parameters).toEqual({ master: MASTER, isMaster: false, loss: false, maxHops: 2 })
    expect(master().maxHops).toBe(2)
  })

  it('takes the master in any PeerId form, keeping the one nodes compare with', () => {
    expect(createRoundRobinMaster({ master: B_AS_CID }).parameters.master).toBe(B)
    expect(parsePolicy(`round-robin-master:master=${B_AS_CID}`).parameters.master).toBe(B)
  })

  it('refuses what it cannot honour, saying what it accepts', () => {
    expect(() => createRoundRobinMaster()).toThrow(/round-robin-master: master is required, the PeerId of the node every call goes through/)
    expect(() => createRoundRobinMaster({ master: '10.0.0.1' })).toThrow('round-robin-master: master must be a libp2p PeerId')
    expect(() => createRoundRobinMaster({ master: MASTER, maxHops: 0 })).toThrow(/maxHops must be an integer from 1 to 8 \(got 0\)/)
    expect(() => createRoundRobinMaster({ master: MASTER, d: 2 } as never)).toThrow(/unknown parameter "d"/)
    const bad: Array<[string, string | RegExp]> = [
      ['round-robin-master', /master is required/],
      ['round-robin-master:master=', /master must be a libp2p PeerId/],
      ['round-robin-master:master=192.168.1.251', /master must be a libp2p PeerId, such as 12D3KooW… \(a node logs its own at start\) \(got "192.168.1.251"\)/],
      [`round-robin-master:master=${MASTER},maxHops=0`, /maxHops must be an integer from 1 to 8/],
      [`round-robin-master:master=${MASTER},isMaster=perhaps`, /isMaster must be true or false/],
      [`round-robin-master:master=${MASTER},tauMs=5`, /unknown parameter "tauMs"; accepted: master .*isMaster .*loss .*maxHops/],
      [`round-robin-master:master=${MASTER},master=${A}`, /parameter master given twice/]
    ]
    for (const [spec, message] of bad) {
      expect(() => parsePolicy(spec), spec).toThrow(PolicyError)
      expect(() => parsePolicy(spec), spec).toThrow(message)
    }
  })
})

describe('round-robin-master in the registry', () => {
  it('takes the original\'s body, [isMaster, master, loss], with the master\'s PeerId for its IP', () => {
    const body = JSON.parse(`{"name": "RoundRobinWithMasterScheduler", "parameters": ["true", "${MASTER}", "true"]}`)
    const policy = policyFromOriginal(body)
    expect(policy.name).toBe('round-robin-master')
    expect(policy.label).toBe(`RoundRobinWithMasterScheduler(true, ${MASTER}, true)`)
    expect(policy.parameters).toEqual({ master: MASTER, isMaster: true, loss: true, maxHops: 2 })
    expect(policyFromOriginal({ name: 'roundrobinwithmasterscheduler', parameters: ['f', B_AS_CID, '0'] }).parameters)
      .toEqual({ master: MASTER, isMaster: false, loss: false, maxHops: 2 })
  })

  it('and our own syntax, in the body too', () => {
    expect(parsePolicy(`round-robin-master:master=${MASTER}`).parameters).toEqual({ master: MASTER, loss: false, maxHops: 2 })
    expect(parsePolicy(`Round-Robin-Master: master = ${MASTER} , loss=true, maxHops=3`).parameters).toEqual({ master: MASTER, loss: true, maxHops: 3 })
    expect(policyFromOriginal({ name: 'round-robin-master', parameters: [`master=${MASTER}`, 'isMaster=true'] }).label)
      .toBe(`RoundRobinWithMasterScheduler(true, ${MASTER}, false)`)
  })

  it('explains the original\'s bodies it cannot take', () => {
    const bad: Array<[unknown, string | RegExp]> = [
      [{ name: 'RoundRobinWithMasterScheduler', parameters: ['true', '192.168.1.251', 'true'] },
        'RoundRobinWithMasterScheduler: master must be a libp2p PeerId, such as 12D3KooW… (a node logs its own at start) (got "192.168.1.251") ' +
        '(the original named the master by its IP address; here it is the master\'s PeerId)'],
      [{ name: 'RoundRobinWithMasterScheduler', parameters: ['yes', MASTER, 'true'] }, /RoundRobinWithMasterScheduler: isMaster must be true or false \(got "yes"\)/],
      [{ name: 'RoundRobinWithMasterScheduler', parameters: ['true', MASTER, 'lossy'] }, /loss must be true or false/],
      [{ name: 'RoundRobinWithMasterScheduler', parameters: ['true', MASTER] }, 'RoundRobinWithMasterScheduler takes 3 parameters [isMaster, master, loss] (got 2)'],
      [{ name: 'RoundRobinWithMasterScheduler', parameters: [] }, /takes 3 parameters/]
    ]
    for (const [body, message] of bad) {
      expect(() => policyFromOriginal(body), JSON.stringify(body)).toThrow(PolicyError)
      expect(() => policyFromOriginal(body), JSON.stringify(body)).toThrow(message)
    }
  })

  it('round-trips through toOriginal when the original could say it: isMaster given, no hop limit set', () => {
    for (const parameters of [['true', MASTER, 'true'], ['false', MASTER, 'false']]) {
      const policy = policyFromOriginal({ name: 'RoundRobinWithMasterScheduler', parameters })
      expect(toOriginal(policy)).toEqual({ name: 'RoundRobinWithMasterScheduler', parameters })
      expect(policyFromOriginal(toOriginal(policy)).label).toBe(policy.label)
    }
    expect(toOriginal(parsePolicy(`round-robin-master:master=${MASTER},isMaster=false,loss=true`)))
      .toEqual({ name: 'RoundRobinWithMasterScheduler', parameters: ['false', MASTER, 'true'] })
    expect(toOriginal(parsePolicy(`round-robin-master:master=${MASTER}`))).toBeUndefined()
    expect(toOriginal(parsePolicy(`round-robin-master:master=${MASTER},isMaster=true,maxHops=3`))).toBeUndefined()
  })

  it('makes a fresh instance, with its own cursor, each time', () => {
    expect(parsePolicy(`round-robin-master:master=${MASTER}`)).not.toBe(parsePolicy(`round-robin-master:master=${MASTER}`))
  })
})
