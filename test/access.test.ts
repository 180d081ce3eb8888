import { describe, expect, it } from 'vitest'
import { createPeerAccess, refusalMessage } from '../src/access.js'

/** Who may change a node and who may read it, over the management and observe protocols alike. */

const init = { admins: ['ADMIN'], checkSecret: (s: string) => s === 'sesame', isMember: (p: string) => p === 'MEMBER' }

describe('peer access', () => {
  it('lets a trusted identity or the secret change the node, nobody else', () => {
    const access = createPeerAccess(init)
    expect(access.isAdmin('ADMIN')).toBe(true)
    expect(access.isAdmin('STRANGER', 'sesame')).toBe(true)
    expect(access.isAdmin('STRANGER', 'wrong')).toBe(false)
    expect(access.isAdmin('MEMBER')).toBe(false)
  })

  it('lets anyone read by default', () => {
    expect(createPeerAccess(init).mayRead('STRANGER')).toBe(true)
  })

  it('with private reads, lets a member, a trusted identity or the secret read', () => {
    const access = createPeerAccess({ ...init, privateReads: true })
    expect(access.mayRead('STRANGER')).toBe(false)
    expect(access.mayRead('STRANGER', 'wrong')).toBe(false)
    expect(access.mayRead('MEMBER')).toBe(true)
    expect(access.mayRead('ADMIN')).toBe(true)
    expect(access.mayRead('STRANGER', 'sesame')).toBe(true)
    expect(createPeerAccess({ ...init, privateReads: true, isMember: undefined }).mayRead('MEMBER')).toBe(false)
  })

  it('says why, and how to be let in', () => {
    expect(refusalMessage('N', 'P', 'observe', false)).toMatch(/^node N does not trust P to observe \(its reads are private: --private-reads\): start the node with --admin/)
    expect(refusalMessage('N', 'P', 'deploy', true)).not.toMatch(/private/)
  })
})
