import { describe, expect, it } from 'vitest'
import { parseDeployBody } from '../../src/functions/openfaas.js'
import { readTaskLabels } from '../../src/functions/settings.js'
import { TASK_TYPE_HEADER, taskOfCall } from '../../src/invoke/task.js'

/** A call's task type and deadline (header and labels), and this node's calls per task type. */

describe('task labels', () => {
  it('p2pfaas.task-type and p2pfaas.deadline are read with the label rules', () => {
    const spec = parseDeployBody({ service: 'f', image: 'x', labels: { 'p2pfaas.task-type': '1', 'p2pfaas.deadline': '500ms' } })
    expect(readTaskLabels(spec.labels)).toEqual({ taskType: 1, deadlineMs: 500 })
    expect(readTaskLabels({ 'p2pfaas.deadline': '2' })).toEqual({ deadlineMs: 2000 })
    expect(readTaskLabels({})).toEqual({})
  })

  it('p2pfaas.task-deadlines gives each task type its deadline, type 0 first', () => {
    const spec = parseDeployBody({ service: 'f', image: 'x', labels: { 'p2pfaas.task-deadlines': '150ms, 2s', 'p2pfaas.deadline': '1s' } })
    expect(readTaskLabels(spec.labels)).toEqual({ deadlineMs: 1000, deadlinesMs: [150, 2000] })
    expect(() => parseDeployBody({ service: 'f', image: 'x', labels: { 'p2pfaas.task-deadlines': '150ms,,2s' } })).toThrow(/p2pfaas.task-deadlines.*comma-separated/)
    expect(() => parseDeployBody({ service: 'f', image: 'x', labels: { 'p2pfaas.task-deadline': '1s' } })).toThrow(/did you mean/)
  })

  it('refuses a bad task type or deadline at deploy, naming the label', () => {
    expect(() => parseDeployBody({ service: 'f', image: 'x', labels: { 'p2pfaas.task-type': '64' } })).toThrow(/p2pfaas.task-type.*whole number from 0 to 63/)
    expect(() => parseDeployBody({ service: 'f', image: 'x', labels: { 'p2pfaas.deadline': 'soon' } })).toThrow(/p2pfaas.deadline.*duration/)
  })
})

describe('taskOfCall', () => {
  it('takes the header first, then the label; the deadline is the function\'s', () => {
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: '2' } }, { taskType: 1, deadlineMs: 300 })).toEqual({ taskType: 2, deadlineMs: 300 })
    expect(taskOfCall({ headers: {} }, { taskType: 1 })).toEqual({ taskType: 1 })
    expect(taskOfCall({ headers: {} }, undefined)).toEqual({})
  })

  it('takes the deadline of the call\'s type from p2pfaas.task-deadlines, else p2pfaas.deadline', () => {
    const labels = { deadlineMs: 1000, deadlinesMs: [150, 2000] }
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: '0' } }, labels)).toEqual({ taskType: 0, deadlineMs: 150 })
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: '1' } }, labels)).toEqual({ taskType: 1, deadlineMs: 2000 })
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: '2' } }, labels)).toEqual({ taskType: 2, deadlineMs: 1000 })
    expect(taskOfCall({ headers: {} }, labels)).toEqual({ deadlineMs: 1000 })
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: '5' } }, { deadlinesMs: [150] })).toEqual({ taskType: 5 })
  })

  it('does not trust a header that is no task type: the label stands', () => {
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: 'big' } }, { taskType: 1 })).toEqual({ taskType: 1 })
    expect(taskOfCall({ headers: { [TASK_TYPE_HEADER]: '99' } }, undefined)).toEqual({})
  })
})
