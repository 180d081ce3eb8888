import { describe, expect, it } from 'vitest'
import { ConfigError, DEFAULT_LISTEN, resolveNodeConfig } from '../../src/node/config.js'

describe('resolveNodeConfig', () => {
  it('has the documented defaults', () => {
    const c = resolveNodeConfig({}, { HOME: '/home/u' })
    expect(c.listen).toEqual([DEFAULT_LISTEN])
    expect(c.http).toEqual({ host: '0.0.0.0', port: 18080 })
    expect(c.dataDir).toBe('/home/u/.local/share/p2pfaas')
    expect(c.mdns).toBe(5000)
    expect(c.bootstrap).toEqual([])
    expect(c.swarmKeyFile).toBeUndefined()
    expect(c.heartbeatMs).toBe(1000)
  })

  it('reads every flag from P2PFAAS_* env, lists comma-separated', () => {
    const c = resolveNodeConfig({}, {
      P2PFAAS_LISTEN: '/ip4/0.0.0.0/tcp/5001, /ip6/::/tcp/5001',
      P2PFAAS_HTTP: '127.0.0.1:9000',
      P2PFAAS_DATA_DIR: '/var/lib/p2pfaas',
      P2PFAAS_BOOTSTRAP: '/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo',
      P2PFAAS_NO_MDNS: 'true',
      P2PFAAS_SWARM_KEY: '/etc/swarm.key',
      P2PFAAS_ANNOUNCE: '/ip4/192.0.2.7/tcp/4001',
      P2PFAAS_HEARTBEAT: '500',
      P2PFAAS_LOG_LEVEL: 'debug'
    })
    expect(c.listen).toEqual(['/ip4/0.0.0.0/tcp/5001', '/ip6/::/tcp/5001'])
    expect(c.http).toEqual({ host: '127.0.0.1', port: 9000 })
    expect(c.dataDir).toBe('/var/lib/p2pfaas')
    expect(c.bootstrap.map(String)).toEqual(['/ip4/10.0.0.2/tcp/4001/p2p/12D3KooWQYhTNQdmr3ArTeUHRYzFg94BKyTkoWBDWez9kSCVe2Xo'])
    expect(c.mdns).toBe(false)
    expect(c.swarmKeyFile).toBe('/etc/swarm.key')
    expect(c.announce).toEqual(['/ip4/192.0.2.7/tcp/4001'])
    expect(c.heartbeatMs).toBe(500)
    expect(c.logLevel).toBe('debug')
  })

  it('lets flags win over env', () => {
    const c = resolveNodeConfig({ http: '[::1]:81', mdnsInterval: '250', listen: ['/ip4/127.0.0.1/tcp/1'] },
      { P2PFAAS_HTTP: '127.0.0.1:9000', P2PFAAS_MDNS_INTERVAL: '9999', P2PFAAS_LISTEN: '/ip4/0.0.0.0/tcp/2' })
    expect(c.http).toEqual({ host: '::1', port: 81 })
    expect(c.mdns).toBe(250)
    expect(c.listen).toEqual(['/ip4/127.0.0.1/tcp/1'])
    expect(resolveNodeConfig({ mdns: false }, {}).mdns).toBe(false)
  })

  it('takes --policy-module, repeatable, or P2PFAAS_POLICY_MODULE comma-separated; none by default', () => {
    expect(resolveNodeConfig({}, {}).policyModules).toEqual([])
    expect(resolveNodeConfig({}, { P2PFAAS_POLICY_MODULE: 'a.js, ./b/c.mjs' }).policyModules).toEqual(['a.js', './b/c.mjs'])
    expect(resolveNodeConfig({ policyModule: ['x.js', 'y.js'] }, { P2PFAAS_POLICY_MODULE: 'a.js' }).policyModules).toEqual(['x.js', 'y.js'])
    expect(() => resolveNodeConfig({ policyModule: Array.from({ length: 33 }, (_, i) => `${i}.js`) }, {})).toThrow(/--policy-module: at most 32 modules/)
  })

  it('names every bad value with an example of a good one', () => {
    let err: unknown
    try {
      resolveNodeConfig({ listen: ['/ip4/1.2.3.4'], http: 'nonsense', mdnsInterval: '5', bootstrap: ['not-a-multiaddr'], logLevel: 'loud' }, {})
    } catch (e) { err = e }
    expect(err).toBeInstanceOf(ConfigError)
    const message = (err as Error).message
    expect(message).toMatch(/--listen: "\/ip4\/1.2.3.4" is not a TCP multiaddr/)
    expect(message).toMatch(/--http: "nonsense" is not host:port/)
    expect(message).toMatch(/--mdns-interval must be at least 100 ms/)
    expect(message).toMatch(/--bootstrap: "not-a-multiaddr"/)
    expect(message).toMatch(/--log-level/)
    expect(() => resolveNodeConfig({ http: '0.0.0.0:70000' }, {})).toThrow(/--http/)
    expect(() => resolveNodeConfig({ heartbeat: '1e3' }, {})).toThrow(/--heartbeat takes a whole number/)
  })

  it('limits a function without limits of its own to 256Mi and 1 CPU by default; 0 lifts either', () => {
    const c = resolveNodeConfig({}, {})
    expect(c.functionMemoryBytes).toBe(256 * 1024 ** 2)
    expect(c.functionCpus).toBe(1)
    const set = resolveNodeConfig({ functionMemory: '512MiB', functionCpus: '500m' }, { P2PFAAS_FUNCTION_MEMORY: '1Gi' })
    expect(set.functionMemoryBytes).toBe(512 * 1024 ** 2)
    expect(set.functionCpus).toBe(0.5)
    expect(resolveNodeConfig({}, { P2PFAAS_FUNCTION_MEMORY: '1Gi', P2PFAAS_FUNCTION_CPUS: '0.25' })).toMatchObject({ functionMemoryBytes: 1024 ** 3, functionCpus: 0.25 })
    const none = resolveNodeConfig({ functionMemory: '0', functionCpus: '0' }, {})
    expect(none.functionMemoryBytes).toBeUndefined()
    expect(none.functionCpus).toBeUndefined()
    expect(() => resolveNodeConfig({ functionMemory: '128m' }, {})).toThrow(/--function-memory .*did you mean "128Mi".*or 0 for no limit/)
    expect(() => resolveNodeConfig({ functionCpus: 'lots' }, {})).toThrow(/--function-cpus must be a CPU count/)
  })

  it('takes the per-peer rates, private reads and the warning interval from flags or env', () => {
    expect(resolveNodeConfig({}, {})).toMatchObject({ peerInvokeRate: 'auto', peerManageRate: 20, privateReads: false, warnIntervalMs: 60_000 })
    expect(resolveNodeConfig({ peerInvokeRate: '50', peerManageRate: '0.5', privateReads: true, warnInterval: '1000' }, {}))
      .toMatchObject({ peerInvokeRate: 50, peerManageRate: 0.5, privateReads: true, warnIntervalMs: 1000 })
    expect(resolveNodeConfig({}, { P2PFAAS_PEER_INVOKE_RATE: '0', P2PFAAS_PEER_MANAGE_RATE: '3', P2PFAAS_PRIVATE_READS: '1', P2PFAAS_WARN_INTERVAL: '500' }))
      .toMatchObject({ peerInvokeRate: 0, peerManageRate: 3, privateReads: true, warnIntervalMs: 500 })
    expect(() => resolveNodeConfig({ peerInvokeRate: 'fast' }, {})).toThrow(/--peer-invoke-rate takes a number per second or auto/)
    expect(() => resolveNodeConfig({ peerManageRate: 'auto' }, {})).toThrow(/--peer-manage-rate takes a number per second/)
    expect(() => resolveNodeConfig({ warnInterval: '5' }, {})).toThrow(/--warn-interval must be at least 100 ms/)
  })

  it('refuses a bad env value with the same message as the flag', () => {
    const refused = (env: Record<string, string>): string => {
      try { resolveNodeConfig({}, env) } catch (err) { expect(err).toBeInstanceOf(ConfigError); return (err as Error).message }
      throw new Error(`accepted ${JSON.stringify(env)}`)
    }
    expect(refused({ P2PFAAS_RUNTIME: 'podman' })).toBe('--runtime: one of auto, docker, process')
    expect(refused({ P2PFAAS_LOG_LEVEL: 'loud' })).toBe('--log-level: one of trace, debug, info, warn, error, fatal, silent')
    expect(refused({ P2PFAAS_HEARTBEAT: '1s' })).toBe('--heartbeat takes a whole number of milliseconds')
    expect(refused({ P2PFAAS_MAX_BODY: '10' })).toBe('--max-body must be at least 1024 bytes')
    expect(refused({ P2PFAAS_ADMIN: 'alice' })).toBe('--admin: "alice" is not a PeerId (`p2pfaas id` prints the CLI\'s)')
    expect(refused({ P2PFAAS_BOOTSTRAP: '/ip4/10.0.0.2' })).toMatch(/^--bootstrap: "\/ip4\/10.0.0.2" is not a TCP multiaddr/)
    expect(refused({ P2PFAAS_LINKS: '16', P2PFAAS_MAX_CONNECTIONS: '16' })).toBe('--max-connections must be above --links: hand-offs need room beside the links')
    // An empty value: a flag with a default checks it, one without takes it as unset.
    expect(refused({ P2PFAAS_HTTP: '' })).toMatch(/^--http: "" is not host:port/)
    expect(resolveNodeConfig({}, { P2PFAAS_SWARM_KEY: '', P2PFAAS_SEED: '', P2PFAAS_DOCKER_NETWORK: '' })).toMatchObject({ swarmKeyFile: undefined, seed: undefined, dockerNetwork: undefined })
  })
})
