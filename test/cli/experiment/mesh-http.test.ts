import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createHttpMesh } from '../../../src/cli/experiment/mesh-http.js'

/**
 * The experiment's HTTP driver against a stand-in node that records what it is asked: each run
 * sets its policy afresh, and a learning policy's stored table is forgotten, so no run starts
 * from what an earlier run (another repetition, another load, another seed) learnt.
 */

let server: Server
let url = ''
const asked: string[] = []

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = ''
    req.on('data', (c: Buffer) => { body += c.toString() })
    req.on('end', () => {
      asked.push(`${req.method} ${req.url}${body !== '' ? ` ${body}` : ''}`)
      res.setHeader('content-type', 'application/json')
      if (req.url === '/mesh') return res.end(JSON.stringify({ self: { peerId: 'node-a' }, peers: [] }))
      if (req.url === '/configuration/scheduler' && req.method === 'POST') {
        const policy = (JSON.parse(body) as { policy?: string, name?: string })
        const name = policy.name === 'LearningScheduler' || policy.policy?.startsWith('learning') === true ? 'learning' : 'local'
        return res.end(JSON.stringify({ name, label: name, parameters: {}, maxHops: 1 }))
      }
      if (req.url === '/configuration/scheduler/learning' && req.method === 'DELETE') return res.end(JSON.stringify({ reset: true, inForce: true }))
      res.statusCode = 404
      res.end('{}')
    })
  })
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve))
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(async () => { await new Promise<void>(resolve => server.close(() => { resolve() })) })

describe('the experiment driving nodes over HTTP', () => {
  it('resets what a learning policy learnt each time it sets one, and nothing for another policy', async () => {
    const mesh = await createHttpMesh({ mode: 'url', nodes: [{ url, auth: 'Basic eDp5' }], fn: 'experiment', connections: 1, onClose: async () => {}, onKill: () => {} })
    const signal = new AbortController().signal
    try {
      asked.length = 0
      await mesh.setPolicy({ label: 'local', request: { policy: 'local:loss=true' } }, signal)
      expect(asked).toEqual(['POST /configuration/scheduler {"policy":"local:loss=true"}'])
      asked.length = 0
      await mesh.setPolicy({ label: 'LearningScheduler(2)', request: { name: 'LearningScheduler', parameters: ['2'] } }, signal)
      expect(asked).toEqual(['POST /configuration/scheduler {"name":"LearningScheduler","parameters":["2"]}', 'DELETE /configuration/scheduler/learning'])
    } finally {
      await mesh.close()
    }
  })
})
