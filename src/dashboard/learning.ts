import { el } from './dom.js'
import type { DashboardSnapshot } from '../observe/snapshot.js'

const percent = (v: number): string => `${(100 * v).toFixed(1)} %`
const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`

/**
 * The policy panel's learning section, shown only while the policy in force learns: how well it
 * does (share of its calls within their deadline, its average reward R̄), how much it explores, and
 * how big its table has grown.
 */
export function renderLearning (snap: DashboardSnapshot): void {
  const box = document.getElementById('learning')
  const list = document.getElementById('learning-stats')
  if (box == null || list == null) return
  const l = snap.learning
  box.hidden = l == null
  if (l == null) return
  const rows: Array<[key: string, label: string, value: string]> = [
    ['reward-rate', 'Within deadline', `${percent(l.rewardRate)} of ${l.rewards} calls`],
    ['average-reward', 'Average reward R̄', l.averageReward.toFixed(3)],
    ['exploration', 'Explored', `${percent(l.explorationShare)} of ${l.decisions} decisions (ε = ${l.epsilon})`],
    ['table', 'Table', `${count(l.states, 'state')}, ${count(l.updates, 'update')}`],
    ['steps', 'Step sizes', `α = ${l.alpha}, β = ${l.beta}`]
  ]
  list.replaceChildren(...rows.flatMap(([key, label, value]) => [el('dt', {}, label), el('dd', { 'data-stat': key }, value)]))
}
