import { describe, expect, it } from 'vitest'
import { FunctionSpecError, parseDeployBody, toDeployBody, toFunctionStatus } from '../../src/functions/openfaas.js'
import { FUNCTION_DEFAULTS } from '../../src/functions/types.js'

const minimal = { service: 'echo', image: 'ghcr.io/acme/echo:1.0' }

/** The error's lines; fails the test if the body parses. */
function problems (body: unknown): string[] {
  try {
    parseDeployBody(body)
  } catch (err) {
    expect(err).toBeInstanceOf(FunctionSpecError)
    expect((err as FunctionSpecError).name).toBe('FunctionSpecError')
    expect((err as Error).message).toBe((err as FunctionSpecError).issues.join('\n'))
    return (err as FunctionSpecError).issues
  }
  throw new Error('expected a FunctionSpecError')
}

describe('parseDeployBody', () => {
  it('applies the documented defaults', () => {
    expect(parseDeployBody(minimal)).toEqual({
      name: 'echo',
      image: 'ghcr.io/acme/echo:1.0',
      env: {},
      labels: {},
      annotations: {},
      limits: { pids: 256 },
      concurrency: 4,
      queue: 4,
      timeoutMs: 30_000,
      minWarm: 1,
      runtime: 'http',
      readOnlyRootFilesystem: false
    })
    expect(FUNCTION_DEFAULTS).toMatchObject({ concurrency: 4, queue: 4, timeoutMs: 30_000, minWarm: 1, pids: 256, runtime: 'http' })
  })

  it('reads a full faas-cli body', () => {
    const spec = parseDeployBody({
      service: 'pigo',
      image: 'esimov/pigo-openfaas:0.1',
      namespace: 'openfaas-fn',
      envProcess: './handler',
      envVars: { input_mode: 'image', _X1: '' },
      labels: { team: 'vision', 'com.openfaas.scale.min': '1' },
      annotations: { 'example.com/owner': 'ops' },
      secrets: [],
      constraints: null,
      limits: { memory: '256Mi', cpu: '1' },
      requests: { memory: '64Mi', cpu: '100m' },
      readOnlyRootFilesystem: true,
      network: '',
      registryAuth: ''
    })
    expect(spec.limits).toEqual({ memoryBytes: 268_435_456, cpus: 1, pids: 256 })
    expect(spec.env).toEqual({ input_mode: 'image', _X1: '' })
    expect(spec.envProcess).toBe('./handler')
    expect(spec.labels).toEqual({ team: 'vision', 'com.openfaas.scale.min': '1' })
    expect(spec.annotations).toEqual({ 'example.com/owner': 'ops' })
    expect(spec.readOnlyRootFilesystem).toBe(true)
  })

  it('treats null and "" as not set, the way Go clients send them', () => {
    const spec = parseDeployBody({ ...minimal, envProcess: '', envVars: null, labels: null, limits: { memory: '', cpu: null }, readOnlyRootFilesystem: null, namespace: '' })
    expect(spec.envProcess).toBeUndefined()
    expect(spec.env).toEqual({})
    expect(spec.limits).toEqual({ pids: 256 })
    expect(spec.readOnlyRootFilesystem).toBe(false)
  })

  it('reads the p2pfaas.* labels and keeps them as labels', () => {
    const labels = { 'p2pfaas.concurrency': '16', 'p2pfaas.queue': '0', 'p2pfaas.timeout': '1m30s', 'p2pfaas.min-warm': '3', 'p2pfaas.runtime': 'http' }
    const spec = parseDeployBody({ ...minimal, labels })
    expect(spec).toMatchObject({ concurrency: 16, queue: 0, timeoutMs: 90_000, minWarm: 3, runtime: 'http' })
    expect(spec.labels).toEqual(labels)
  })

  it.each([
    ['500ms', 500], ['30s', 30_000], ['2m', 120_000], ['1h', 3_600_000], ['45', 45_000], ['0.1', 100], ['1.5s', 1500]
  ])('reads timeout %s as %i ms', (timeout, ms) => {
    expect(parseDeployBody({ ...minimal, labels: { 'p2pfaas.timeout': timeout } }).timeoutMs).toBe(ms)
  })

  it('runs a host command with runtime process, no image needed', () => {
    const spec = parseDeployBody({ service: 'wc', envProcess: 'wc -l', labels: { 'p2pfaas.runtime': 'process' } })
    expect(spec).toMatchObject({ runtime: 'process', envProcess: 'wc -l' })
    expect(spec.image).toBeUndefined()
  })

  it('keeps the default min-warm within a concurrency of 1', () => {
    expect(parseDeployBody({ ...minimal, labels: { 'p2pfaas.concurrency': '1' } }).minWarm).toBe(1)
    expect(parseDeployBody({ ...minimal, labels: { 'p2pfaas.min-warm': '0' } }).minWarm).toBe(0)
  })

  it.each([
    ['128Mi', 134_217_728], ['1Gi', 1_073_741_824], ['512M', 512_000_000], ['1G', 1e9], ['1000000000', 1e9],
    ['8192k', 8_192_000], ['64Gi', 64 * 1024 ** 3], ['0.5Gi', 536_870_912], ['1e9', 1e9],
    ['512MiB', 536_870_912], ['1GiB', 1_073_741_824]
  ])('reads memory %s as %i bytes', (memory, bytes) => {
    expect(parseDeployBody({ ...minimal, limits: { memory } }).limits.memoryBytes).toBe(bytes)
  })

  it.each([['0.5', 0.5], ['500m', 0.5], ['2', 2], ['10m', 0.01], ['256', 256], [1, 1]])('reads cpu %s as %d', (cpu, cpus) => {
    expect(parseDeployBody({ ...minimal, limits: { cpu } }).limits.cpus).toBe(cpus)
  })
})

describe('parseDeployBody refuses', () => {
  it.each<[string, unknown, RegExp]>([
    ['an unknown field', { ...minimal, replicas: 3 }, /^replicas: unknown field; the deploy body has service, image/],
    ['a bad name', { ...minimal, service: 'Hello_World' }, /^service: must be 1 to 63 lowercase .*\(got "Hello_World"\)/],
    ['a name too long', { ...minimal, service: 'a'.repeat(64) }, /^service: must be 1 to 63/],
    ['a name ending in -', { ...minimal, service: 'echo-' }, /^service: /],
    ['a missing name', { image: 'x' }, /^service: is required$/],
    ['a missing image', { service: 'echo' }, /^image: is required: the container image to run/],
    ['a process runtime without envProcess', { service: 'echo', labels: { 'p2pfaas.runtime': 'process' } }, /^envProcess: is required when "p2pfaas.runtime" is "process"/],
    ['an image with spaces', { ...minimal, image: 'my image' }, /^image: must be an image reference/],
    ['a huge image', { ...minimal, image: 'a'.repeat(513) }, /^image: must be an image reference.*\(513 chars\)/],
    ['a bad memory', { ...minimal, limits: { memory: 'lots' } }, /^limits\.memory: must be a memory size like "128Mi".*\(got "lots"\)/],
    ['a Docker-style memory', { ...minimal, limits: { memory: '128m' } }, /^limits\.memory: .*did you mean "128Mi"\?/],
    ['a tiny memory', { ...minimal, limits: { memory: '1Mi' } }, /^limits\.memory: must be from 4Mi to 64Gi \(got "1Mi"\)/],
    ['a huge memory', { ...minimal, limits: { memory: '65Gi' } }, /^limits\.memory: must be from 4Mi to 64Gi/],
    ['a bad request memory', { ...minimal, requests: { memory: '1 GB' } }, /^requests\.memory: /],
    ['a tiny cpu', { ...minimal, limits: { cpu: '5m' } }, /^limits\.cpu: must be a CPU count .*\(got "5m"\)/],
    ['a huge cpu', { ...minimal, limits: { cpu: '1000' } }, /^limits\.cpu: /],
    ['an unknown limit', { ...minimal, limits: { gpu: '1' } }, /^limits\.gpu: unknown field$/],
    ['secrets', { ...minimal, secrets: ['db-password'] }, /^secrets: not supported: .*envVars \(got a list\)/],
    ['constraints', { ...minimal, constraints: ['node.platform.os == linux'] }, /^constraints: not supported/],
    ['another namespace', { ...minimal, namespace: 'dev' }, /^namespace: must be "openfaas-fn" or left out.*\(got "dev"\)/],
    ['a non-boolean readOnlyRootFilesystem', { ...minimal, readOnlyRootFilesystem: 'yes' }, /^readOnlyRootFilesystem: must be true or false \(got "yes"\)/],
    ['a bad env key', { ...minimal, envVars: { '1BAD': 'x' } }, /^envVars\["1BAD"\]: bad key: must be an environment variable name/],
    ['an env value that is not a string', { ...minimal, envVars: { PORT: 8080 } }, /^envVars\.PORT: must be a string \(got 8080\)/],
    ['a huge env value', { ...minimal, envVars: { BIG: 'x'.repeat(64 * 1024 + 1) } }, /^envVars\.BIG: is 65537 bytes; at most 65536$/],
    ['too many env vars', { ...minimal, envVars: Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`V${i}`, ''])) }, /^envVars: has 257 entries; at most 256$/],
    ['a list as labels', { ...minimal, labels: ['a'] }, /^labels: must be a map of string to string \(got a list\)$/],
    ['a label key with spaces', { ...minimal, labels: { 'my label': 'x' } }, /^labels\["my label"\]: bad key/],
    ['an annotation key too long', { ...minimal, annotations: { ['a'.repeat(257)]: 'x' } }, /^annotations\["a{60}…"\]: bad key/],
    ['a bad queue', { ...minimal, labels: { 'p2pfaas.queue': 'lots' } }, /^labels\["p2pfaas\.queue"\]: must be a whole number from 0 to 100000 \(got "lots"\)$/],
    ['a huge queue', { ...minimal, labels: { 'p2pfaas.queue': '100001' } }, /^labels\["p2pfaas\.queue"\]: must be a whole number from 0 to 100000/],
    ['a zero concurrency', { ...minimal, labels: { 'p2pfaas.concurrency': '0' } }, /^labels\["p2pfaas\.concurrency"\]: must be a whole number from 1 to 1024/],
    ['a fractional concurrency', { ...minimal, labels: { 'p2pfaas.concurrency': '2.5' } }, /^labels\["p2pfaas\.concurrency"\]: /],
    ['min-warm above concurrency', { ...minimal, labels: { 'p2pfaas.concurrency': '2', 'p2pfaas.min-warm': '3' } }, /^labels\["p2pfaas\.min-warm"\]: must be a whole number from 0 to 2 .*cannot exceed p2pfaas\.concurrency \(2\)/],
    ['min-warm above the default concurrency', { ...minimal, labels: { 'p2pfaas.min-warm': '5' } }, /^labels\["p2pfaas\.min-warm"\]: must be a whole number from 0 to 4/],
    ['a short timeout', { ...minimal, labels: { 'p2pfaas.timeout': '50ms' } }, /^labels\["p2pfaas\.timeout"\]: must be a duration .*from 100ms to 1h \(got "50ms"\)/],
    ['a long timeout', { ...minimal, labels: { 'p2pfaas.timeout': '2h' } }, /^labels\["p2pfaas\.timeout"\]: /],
    ['a bad timeout', { ...minimal, labels: { 'p2pfaas.timeout': 'soon' } }, /^labels\["p2pfaas\.timeout"\]: /],
    ['an unknown runtime', { ...minimal, labels: { 'p2pfaas.runtime': 'docker' } }, /^labels\["p2pfaas\.runtime"\]: must be "http", "process" or "emulated" \(got "docker"\)/],
    ['a bad service time', { ...minimal, labels: { 'p2pfaas.runtime': 'emulated', 'p2pfaas.service-time': 'soon' } }, /^labels\["p2pfaas\.service-time"\]: must be exp:<duration>, fixed:<duration> or a duration/],
    ['a typo label', { ...minimal, labels: { 'p2pfaas.concurency': '8' } }, /^labels\["p2pfaas\.concurency"\]: unknown P2PFaaS label; did you mean "p2pfaas\.concurrency"\?/],
    ['an unknown p2pfaas label', { ...minimal, labels: { 'p2pfaas.replicas': '8' } }, /^labels\["p2pfaas\.replicas"\]: unknown P2PFaaS label; known labels: p2pfaas\.concurrency/],
    ['a wrongly cased p2pfaas label', { ...minimal, labels: { 'P2PFaaS.queue': '8' } }, /^labels\["P2PFaaS\.queue"\]: unknown P2PFaaS label; did you mean "p2pfaas\.queue"\?/]
  ])('%s', (_, body, pattern) => {
    const issues = problems(body)
    expect(issues).toHaveLength(1)
    expect(issues[0]).toMatch(pattern)
  })

  it.each([[null], [[]], ['service: echo'], [42]])('a body that is not an object: %j', body => {
    expect(problems(body)).toEqual([expect.stringMatching(/^deploy body must be a JSON object \(got /)])
  })

  it('lists every problem at once, each with its field', () => {
    const issues = problems({
      service: 'Bad Name',
      limits: { memory: 'lots', cpu: '-1' },
      labels: { 'p2pfaas.queue': 'lots', 'p2pfaas.concurency': '8' },
      envVars: { 'A B': 'x' },
      extra: true,
      another: 1
    })
    expect(issues).toEqual(expect.arrayContaining([
      expect.stringMatching(/^service: /),
      expect.stringMatching(/^limits\.memory: /),
      expect.stringMatching(/^limits\.cpu: /),
      'labels["p2pfaas.queue"]: must be a whole number from 0 to 100000 (got "lots")',
      expect.stringMatching(/^labels\["p2pfaas\.concurency"\]: /),
      expect.stringMatching(/^envVars\["A B"\]: /),
      expect.stringMatching(/^extra: unknown field/),
      expect.stringMatching(/^another: unknown field/),
      expect.stringMatching(/^image: is required/)
    ]))
    expect(issues).toHaveLength(9)
  })

  it('does not echo huge values back', () => {
    const [issue] = problems({ ...minimal, image: `x ${'y'.repeat(100_000)}` })
    expect(issue!.length).toBeLessThan(300)
  })

  it('refuses a __proto__ key instead of losing it', () => {
    expect(problems(JSON.parse('{"service":"echo","image":"x","envVars":{"__proto__":"x"}}'))).toEqual([expect.stringMatching(/^envVars\.__proto__: bad key/)])
  })
})

describe('toDeployBody and toFunctionStatus', () => {
  const full = parseDeployBody({
    service: 'pigo',
    image: 'esimov/pigo-openfaas:0.1',
    envProcess: './handler',
    envVars: { input_mode: 'image' },
    labels: { team: 'vision', 'p2pfaas.queue': '0', 'p2pfaas.timeout': '90' },
    annotations: { topic: 'faces' },
    limits: { memory: '256Mi', cpu: '500m' },
    readOnlyRootFilesystem: true
  })

  it('gives the OpenFaaS shape, labels as they were set', () => {
    expect(toDeployBody(full)).toEqual({
      service: 'pigo',
      image: 'esimov/pigo-openfaas:0.1',
      namespace: 'openfaas-fn',
      envProcess: './handler',
      envVars: { input_mode: 'image' },
      labels: { team: 'vision', 'p2pfaas.queue': '0', 'p2pfaas.timeout': '90' },
      annotations: { topic: 'faces' },
      limits: { memory: '256Mi', cpu: '0.5' },
      readOnlyRootFilesystem: true
    })
  })

  it('round-trips through parseDeployBody', () => {
    expect(parseDeployBody(toDeployBody(full))).toEqual(full)
    const bare = parseDeployBody({ service: 'wc', envProcess: 'wc -l', labels: { 'p2pfaas.runtime': 'process' }, limits: { memory: '1000000000' } })
    expect(toDeployBody(bare).limits).toEqual({ memory: '1000000000' })
    expect(toDeployBody(bare)).not.toHaveProperty('image')
    expect(parseDeployBody(toDeployBody(bare))).toEqual(bare)
  })

  it('is a JSON-safe copy: changing it leaves the spec alone', () => {
    const body = toDeployBody(full)
    body.envVars.input_mode = 'changed'
    body.labels.team = 'changed'
    expect(full.env.input_mode).toBe('image')
    expect(full.labels.team).toBe('vision')
    expect(JSON.parse(JSON.stringify(body))).toEqual(body)
  })

  it('gives an OpenFaaS FunctionStatus', () => {
    expect(toFunctionStatus(full, { replicas: 3, availableReplicas: 2, invocationCount: 42 })).toEqual({
      name: 'pigo',
      image: 'esimov/pigo-openfaas:0.1',
      namespace: 'openfaas-fn',
      envProcess: './handler',
      envVars: { input_mode: 'image' },
      labels: { team: 'vision', 'p2pfaas.queue': '0', 'p2pfaas.timeout': '90' },
      annotations: { topic: 'faces' },
      limits: { memory: '256Mi', cpu: '0.5' },
      replicas: 3,
      availableReplicas: 2,
      invocationCount: 42,
      readOnlyRootFilesystem: true
    })
  })

  it('fills image and envProcess with "" and leaves limits out when unset', () => {
    const status = toFunctionStatus(parseDeployBody({ service: 'wc', envProcess: 'wc', labels: { 'p2pfaas.runtime': 'process' } }), { replicas: 0, availableReplicas: 0, invocationCount: 0 })
    expect(status.image).toBe('')
    expect(status).not.toHaveProperty('limits')
    expect(toFunctionStatus(parseDeployBody(minimal), { replicas: 1, availableReplicas: 1, invocationCount: 0 }).envProcess).toBe('')
  })
})

describe('parseDeployBody wrong types', () => {
  it('reports a wrong type once, not also as missing', () => {
    expect(problems({ service: 5, image: 5, envVars: 'x', limits: 'big', readOnlyRootFilesystem: 1 })).toEqual([
      'service: must be a string (got 5)',
      'image: must be a string (got 5)',
      'envVars: must be a map of string to string (got "x")',
      'limits: must be an object (got "big")',
      'readOnlyRootFilesystem: must be true or false (got 1)'
    ])
  })
})

describe('parseDeployBody quantities of the wrong type', () => {
  it('says what a quantity may be', () => {
    expect(problems({ ...minimal, limits: { memory: true, cpu: [] } })).toEqual([
      'limits.memory: must be a string or a number (got true)',
      'limits.cpu: must be a string or a number (got a list)'
    ])
  })
})
