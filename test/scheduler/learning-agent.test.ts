import { describe, expect, it } from 'vitest'
import { createAgent, type Agent, type AgentSettings } from '../../src/scheduler/learning/agent.js'
import { createTransitions } from '../../src/scheduler/learning/transitions.js'
import { mulberry32, seeds } from './rng.js'

/** The learning agent alone: differential SARSA's arithmetic, ε-greedy, the bounded table, delayed rewards. */

const settings = (over: Partial<AgentSettings> = {}): AgentSettings => ({ alpha: 0.5, beta: 0.1, epsilon: 0, actions: 3, maxStates: 100, ...over })

describe('the differential SARSA update', () => {
  it('matches a hand-computed example, step by step', () => {
    const agent = createAgent(settings())
    // δ = 1 − 0 + Q(B,0)=0 − Q(A,1)=0 = 1;  R̄ = 0 + 0.1·1 = 0.1;  Q(A,1) = 0 + 0.5·1 = 0.5
    expect(agent.update('A', 1, 1, 'B', 0)).toBeCloseTo(1, 12)
    expect(agent.averageReward).toBeCloseTo(0.1, 12)
    expect(agent.values('A')).toEqual([0, 0.5, 0])
    // δ = 0 − 0.1 + Q(A,1)=0.5 − Q(B,0)=0 = 0.4;  R̄ = 0.1 + 0.04 = 0.14;  Q(B,0) = 0.5·0.4 = 0.2
    expect(agent.update('B', 0, 0, 'A', 1)).toBeCloseTo(0.4, 12)
    expect(agent.averageReward).toBeCloseTo(0.14, 12)
    expect(agent.values('B')[0]).toBeCloseTo(0.2, 12)
    // δ = 1 − 0.14 + Q(B,0)=0.2 − Q(A,1)=0.5 = 0.56;  R̄ = 0.14 + 0.056 = 0.196;  Q(A,1) = 0.5 + 0.28 = 0.78
    expect(agent.update('A', 1, 1, 'B', 0)).toBeCloseTo(0.56, 12)
    expect(agent.averageReward).toBeCloseTo(0.196, 12)
    expect(agent.values('A')[1]).toBeCloseTo(0.78, 12)
    expect(agent.updates).toBe(3)
    expect(agent.size).toBe(2)
  })

  it('with α = β = 0 learns nothing', () => {
    const agent = createAgent(settings({ alpha: 0, beta: 0 }))
    agent.update('A', 1, 1, 'B', 0)
    expect(agent.values('A')).toEqual([0, 0, 0])
    expect(agent.averageReward).toBe(0)
  })
})

describe('ε-greedy', () => {
  const trained = (epsilon: number): Agent => {
    const agent = createAgent(settings({ epsilon }))
    agent.importValues({ averageReward: 0, updates: 0, states: { S: [0.1, 0.9, 0.5] } })
    return agent
  }

  it('ε = 0 is greedy: always the best valid action, never exploring', () => {
    const agent = trained(0)
    for (const s of seeds(200)) {
      expect(agent.choose('S', [0, 1, 2], mulberry32(s))).toEqual({ action: 1, explored: false })
      expect(agent.choose('S', [0, 2], mulberry32(s))).toEqual({ action: 2, explored: false })
    }
  })

  it('ε = 0 breaks ties at random among the best', () => {
    const agent = createAgent(settings())
    const chosen = new Set(seeds(100).map(s => agent.choose('unseen', [0, 1, 2], mulberry32(s)).action))
    expect(chosen).toEqual(new Set([0, 1, 2]))
  })

  it('ε = 1 always explores, uniformly over the valid actions only', () => {
    const agent = trained(1)
    const counts = [0, 0, 0]
    const rng = mulberry32(7)
    for (let i = 0; i < 3000; i++) {
      const c = agent.choose('S', [0, 2], rng)
      expect(c.explored).toBe(true)
      counts[c.action]!++
    }
    expect(counts[1]).toBe(0)
    expect(counts[0]).toBeGreaterThan(1300)
    expect(counts[2]).toBeGreaterThan(1300)
  })

  it('ε in between explores about that share of the time', () => {
    const agent = trained(0.2)
    const rng = mulberry32(3)
    let explored = 0
    for (let i = 0; i < 5000; i++) if (agent.choose('S', [0, 1, 2], rng).explored) explored++
    expect(explored / 5000).toBeGreaterThan(0.17)
    expect(explored / 5000).toBeLessThan(0.23)
  })
})

describe('the table', () => {
  it('holds at most maxStates states; past that a state is read as zeros and never written, and counted', () => {
    const agent = createAgent(settings({ maxStates: 16 }))
    for (let i = 0; i < 100; i++) agent.update(`s${i}`, 0, 1, `s${i + 1}`, 0)
    expect(agent.size).toBe(16)
    expect(agent.tableFull).toBe(84)
    expect(agent.values('s50')).toEqual([0, 0, 0])
    // The average reward still learns from every step.
    expect(agent.averageReward).toBeGreaterThan(0.9)
    expect(agent.updates).toBe(100)
  })

  it('exports, imports and resets what it learnt', () => {
    const agent = createAgent(settings())
    agent.update('A', 1, 1, 'B', 0)
    const saved = agent.exportValues()
    expect(saved).toEqual({ averageReward: 0.1, updates: 1, states: { A: [0, 0.5, 0] } })
    const other = createAgent(settings())
    other.importValues(saved)
    expect(other.values('A')).toEqual([0, 0.5, 0])
    expect(other.averageReward).toBe(0.1)
    other.reset()
    expect(other.size).toBe(0)
    expect(other.averageReward).toBe(0)
    expect(other.updates).toBe(0)
  })
})

describe('delayed rewards (transitions)', () => {
  const recording = (): { agent: Agent, updates: Array<[string, number, number, string, number]> } => {
    const agent = createAgent(settings())
    const updates: Array<[string, number, number, string, number]> = []
    const update = agent.update.bind(agent)
    return { agent: { ...agent, update: (s, a, r, n, na) => { updates.push([s, a, r, n, na]); return update(s, a, r, n, na) } }, updates }
  }

  it('learns from a reward once the next decision is known: at the outcome when it was made already', () => {
    const { agent, updates } = recording()
    const t = createTransitions(agent, 16)
    t.decided('c1', 'S1', 1)
    t.decided('c2', 'S2', 2)
    expect(t.rewarded('c1', 1)).toBe(true)
    expect(updates).toEqual([['S1', 1, 1, 'S2', 2]])
  })

  it('or at the next decision, when the outcome came first', () => {
    const { agent, updates } = recording()
    const t = createTransitions(agent, 16)
    t.decided('c1', 'S1', 1)
    t.rewarded('c1', 0)
    expect(updates).toEqual([])
    t.decided('c2', 'S2', 0)
    expect(updates).toEqual([['S1', 1, 0, 'S2', 0]])
  })

  it('takes outcomes in any order, each with its own successor', () => {
    const { agent, updates } = recording()
    const t = createTransitions(agent, 16)
    t.decided('c1', 'S1', 1)
    t.decided('c2', 'S2', 1)
    t.decided('c3', 'S3', 0)
    t.rewarded('c2', 1)
    t.rewarded('c3', 0)
    t.rewarded('c1', 1)
    t.decided('c4', 'S4', 2)
    expect(updates).toEqual([['S2', 1, 1, 'S3', 0], ['S1', 1, 1, 'S2', 1], ['S3', 0, 0, 'S4', 2]])
    expect(t.pending).toBe(1)
    expect(t.dropped).toBe(0)
  })

  it('keeps at most maxPending decisions: the oldest unanswered are dropped and counted', () => {
    const { agent, updates } = recording()
    const t = createTransitions(agent, 4)
    for (let i = 1; i <= 10; i++) t.decided(`c${i}`, `S${i}`, 0)
    expect(t.pending).toBe(4)
    expect(t.dropped).toBe(6)
    expect(t.rewarded('c1', 1)).toBe(false)
    expect(t.unmatched).toBe(1)
    expect(t.rewarded('c8', 1)).toBe(true)
    expect(updates).toEqual([['S8', 0, 1, 'S9', 0]])
  })

  it('forgets a decision a shared rule overrode, and reads the state a pending decision was made in', () => {
    const { agent, updates } = recording()
    const t = createTransitions(agent, 16)
    t.decided('c1', 'S1', 1)
    expect(t.stateOf('c1')).toBe('S1')
    t.forget('c1')
    expect(t.stateOf('c1')).toBeUndefined()
    expect(t.rewarded('c1', 1)).toBe(false)
    t.decided('c2', 'S2', 1)
    expect(updates).toEqual([])
  })
})
