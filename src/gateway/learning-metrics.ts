import { Counter, Gauge, type Registry } from 'prom-client'
import type { LearningKeeper } from '../scheduler/learning/keeper.js'

/**
 * The learning policy: how often it explores and how well it does. Counters add up every learning
 * policy the node had since it started, so they only go up across POST /configuration/scheduler; the
 * gauges are the policy in force's, absent when it does not learn.
 */
export function learningSeries (learning: Pick<LearningKeeper, 'totals' | 'stats'>, registers: Registry[]): void {
  new Counter({
    name: 'p2pfaas_learning_decisions_total',
    help: 'Calls the learning policy decided, by how: explored (a random action, with probability epsilon) or greedy (the best it knows)',
    labelNames: ['choice'] as const,
    registers,
    collect () {
      const t = learning.totals()
      this.reset()
      this.inc({ choice: 'explored' }, t.explored)
      this.inc({ choice: 'greedy' }, t.decisions - t.explored)
    }
  })
  new Counter({
    name: 'p2pfaas_learning_rewards_total',
    help: 'Outcomes of the learning policy\'s decisions it was rewarded for (each reward 1 within the deadline, else 0)',
    registers,
    collect () { this.reset(); this.inc(learning.totals().rewards) }
  })
  new Counter({
    name: 'p2pfaas_learning_reward_sum_total',
    help: 'Sum of the learning policy\'s rewards: its calls that ended well within their task type\'s deadline; divided by p2pfaas_learning_rewards_total, the reward rate',
    registers,
    collect () { this.reset(); this.inc(learning.totals().rewardSum) }
  })
  // Labelled, so that with no learning policy in force there is no sample at all rather than a 0.
  const gauge = (name: string, help: string, pick: (s: NonNullable<ReturnType<LearningKeeper['stats']>>) => number): void => {
    new Gauge({
      name,
      help,
      labelNames: ['policy'] as const,
      registers,
      collect () {
        const stats = learning.stats()
        this.reset()
        if (stats !== undefined) this.set({ policy: 'learning' }, pick(stats))
      }
    })
  }
  gauge('p2pfaas_learning_average_reward', 'The learning policy\'s estimate of its average reward per decision (R-bar of differential SARSA)', s => s.averageReward)
  gauge('p2pfaas_learning_epsilon', 'The learning policy\'s exploration rate epsilon', s => s.epsilon)
  gauge('p2pfaas_learning_table_states', 'States in the learning policy\'s table', s => s.states)
}
