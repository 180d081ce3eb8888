import { describe, expect, it } from 'vitest'
import { FunctionSpecError } from '../../src/functions/openfaas.js'
import { parseStackYaml } from '../../src/functions/stack.js'

// The stack.yml of /work/shared/reference/openfaas-contract.md, as faas-cli users write it.
const PIGO = `version: 1.0
provider: { name: openfaas, gateway: http://127.0.0.1:8080 }
functions:
  pigo-face-detector:
    lang: go
    handler: ./pigo-faas
    image: esimov/pigo-openfaas:0.1
    environment: { input_mode: image, output_mode: image }
    labels: {}
    limits: { memory: 256Mi, cpu: "1" }
`

/** A stack with one function whose body is `fields` (indented by the caller's lines). */
const stackOf = (...lines: string[]): string =>
  ['provider:', '  name: openfaas', 'functions:', '  fn:', ...lines.map(l => `    ${l}`)].join('\n') + '\n'

function problems (text: string): string[] {
  try {
    parseStackYaml(text)
  } catch (err) {
    expect(err).toBeInstanceOf(FunctionSpecError)
    return (err as FunctionSpecError).issues
  }
  throw new Error('expected a FunctionSpecError')
}

describe('parseStackYaml', () => {
  it('reads the pigo-face-detector stack', () => {
    expect(parseStackYaml(PIGO)).toEqual([{
      name: 'pigo-face-detector',
      image: 'esimov/pigo-openfaas:0.1',
      env: { input_mode: 'image', output_mode: 'image' },
      labels: {},
      annotations: {},
      limits: { memoryBytes: 268_435_456, cpus: 1, pids: 256 },
      concurrency: 4,
      queue: 4,
      timeoutMs: 30_000,
      minWarm: 1,
      runtime: 'http',
      readOnlyRootFilesystem: false
    }])
  })

  it('reads two functions, in file order, with their P2PFaaS labels', () => {
    const specs = parseStackYaml(`version: 1.0
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080
functions:
  resize:
    lang: python3-http
    handler: ./resize
    image: ghcr.io/acme/resize:2.1
    build_args: { ADDITIONAL_PACKAGE: libjpeg }
    build_options: [dev]
    skip_build: true
    labels:
      p2pfaas.concurrency: 8
      p2pfaas.queue: "0"
      p2pfaas.timeout: 2m
      p2pfaas.min-warm: 2
    annotations:
      topic: images
    limits:
      memory: 512M
      cpu: 500m
    requests:
      memory: 128Mi
    readonly_root_filesystem: true
    secrets: []
  wc:
    fprocess: wc -l
    labels:
      p2pfaas.runtime: process
`)
    expect(specs.map(s => s.name)).toEqual(['resize', 'wc'])
    expect(specs[0]).toMatchObject({
      image: 'ghcr.io/acme/resize:2.1',
      concurrency: 8,
      queue: 0,
      timeoutMs: 120_000,
      minWarm: 2,
      runtime: 'http',
      annotations: { topic: 'images' },
      limits: { memoryBytes: 512_000_000, cpus: 0.5, pids: 256 },
      readOnlyRootFilesystem: true
    })
    expect(specs[0]!.labels['p2pfaas.concurrency']).toBe('8')
    expect(specs[1]).toMatchObject({ runtime: 'process', envProcess: 'wc -l', concurrency: 4, queue: 4, minWarm: 1 })
    expect(specs[1]!.image).toBeUndefined()
  })

  it('turns YAML numbers, booleans and nulls in environment into the strings written', () => {
    const [spec] = parseStackYaml(stackOf('image: x', 'environment:', '  RATIO: 1.0', '  DEBUG: true', '  HEX: 0x1F', '  EMPTY:', '  TILDE: ~', '  QUOTED: "007"'))
    expect(spec!.env).toEqual({ RATIO: '1.0', DEBUG: 'true', HEX: '0x1F', EMPTY: '', TILDE: '', QUOTED: '007' })
  })

  it('takes cpu and memory written as YAML numbers', () => {
    const [spec] = parseStackYaml(stackOf('image: x', 'limits: { memory: 1000000000, cpu: 2 }'))
    expect(spec!.limits).toEqual({ memoryBytes: 1e9, cpus: 2, pids: 256 })
  })

  it('accepts a stack without version or provider, and anchors', () => {
    const specs = parseStackYaml(`functions:
  a: &base { image: ghcr.io/acme/base:1, environment: { MODE: a } }
  b: *base
`)
    expect(specs.map(s => [s.name, s.image])).toEqual([['a', 'ghcr.io/acme/base:1'], ['b', 'ghcr.io/acme/base:1']])
  })
})

describe('parseStackYaml refuses', () => {
  it.each<[string, string, RegExp]>([
    ['a YAML syntax error', 'functions:\n  fn: [\n', /^stack\.yml: .*line \d+, column \d+/],
    ['duplicate keys', 'functions:\n  fn: { image: x }\n  fn: { image: y }\n', /^stack\.yml: Map keys must be unique at line 3/],
    ['several documents', 'functions: {}\n---\nfunctions: {}\n', /^stack\.yml: Source contains multiple documents/],
    ['a list', '- a\n- b\n', /^stack\.yml must be a YAML mapping with a "functions" key \(got a list\)/],
    ['a scalar', 'hello\n', /^stack\.yml must be a YAML mapping .*\(got "hello"\)/],
    ['an empty file', '', /^stack\.yml must be a YAML mapping .*\(got null\)/],
    ['no functions', 'version: 1.0\n', /^functions: is required$/],
    ['empty functions', 'functions: {}\n', /^functions: at least one function is needed$/],
    ['an unknown top-level field', 'function:\n  fn: { image: x }\nfunctions:\n  fn: { image: x }\n', /^function: unknown field; stack\.yml has version, provider, functions, configuration$/],
    ['a function that is not a map', 'functions:\n  fn: ghcr.io/x\n', /^functions\.fn: must be a map of function settings \(got "ghcr.io\/x"\)$/],
    ['a bad function name', 'functions:\n  Face_Detect: { image: x }\n', /^functions\.Face_Detect: name must be 1 to 63 lowercase/],
    ['a missing image', stackOf('lang: go'), /^functions\.fn\.image: is required/],
    ['a process runtime without fprocess', stackOf('labels: { p2pfaas.runtime: process }'), /^functions\.fn\.fprocess: is required when "p2pfaas\.runtime" is "process"/],
    ['environment_file', stackOf('image: x', 'environment_file: [env.yml]'), /^functions\.fn\.environment_file: not supported: put the values under environment/],
    ['an unknown function field', stackOf('image: x', 'enviroment: { A: b }'), /^functions\.fn\.enviroment: unknown field; a stack\.yml function has image, fprocess, environment/],
    ['a bad env key', stackOf('image: x', 'environment: { "bad key": x }'), /^functions\.fn\.environment\["bad key"\]: bad key/],
    ['a nested env value', stackOf('image: x', 'environment: { A: [1, 2] }'), /^functions\.fn\.environment\.A: must be a string \(got a list\)/],
    ['a bad memory', stackOf('image: x', 'limits: { memory: 128m }'), /^functions\.fn\.limits\.memory: .*did you mean "128Mi"/],
    ['a typo label', stackOf('image: x', 'labels: { p2pfaas.concurency: 8 }'), /^functions\.fn\.labels\["p2pfaas\.concurency"\]: unknown P2PFaaS label; did you mean "p2pfaas\.concurrency"/],
    ['a bad queue label', stackOf('image: x', 'labels: { p2pfaas.queue: lots }'), /^functions\.fn\.labels\["p2pfaas\.queue"\]: must be a whole number from 0 to 100000 \(got "lots"\)$/],
    ['secrets', stackOf('image: x', 'secrets: [api-key]'), /^functions\.fn\.secrets: not supported/],
    ['constraints', stackOf('image: x', 'constraints: ["node.platform.os == linux"]'), /^functions\.fn\.constraints: not supported/],
    ['a non-boolean readonly_root_filesystem', stackOf('image: x', 'readonly_root_filesystem: maybe'), /^functions\.fn\.readonly_root_filesystem: must be true or false \(got "maybe"\)/],
    ['another namespace', stackOf('image: x', 'namespace: staging'), /^functions\.fn\.namespace: must be "openfaas-fn" or left out/]
  ])('%s', (_, text, pattern) => {
    const issues = problems(text)
    expect(issues[0]).toMatch(pattern)
    expect(issues).toHaveLength(1)
  })

  it('lists the problems of every function', () => {
    const issues = problems(`functions:
  good: { image: x }
  one: { lang: go }
  two: { image: x, limits: { cpu: lots }, labels: { p2pfaas.timeout: 5h } }
`)
    expect(issues).toEqual([
      expect.stringMatching(/^functions\.one\.image: is required/),
      expect.stringMatching(/^functions\.two\.limits\.cpu: must be a CPU count/),
      expect.stringMatching(/^functions\.two\.labels\["p2pfaas\.timeout"\]: must be a duration/)
    ])
  })

  it('more than 256 functions', () => {
    const many = Array.from({ length: 257 }, (_, i) => `  f${i}: { image: x }`).join('\n')
    expect(problems(`functions:\n${many}\n`)).toEqual(['functions: 257 functions; at most 256 in one stack'])
  })

  it('a document over 1 MiB', () => {
    const big = `functions:\n  fn: { image: x }\n# ${'x'.repeat(1024 * 1024)}\n`
    expect(problems(big)).toEqual([expect.stringMatching(/^stack\.yml is \d+ bytes; at most 1048576$/)])
  })

  it('an alias bomb', () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]']
    for (let i = 1; i < 10; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`)
    lines.push('functions: { fn: { image: x } }')
    expect(problems(lines.join('\n') + '\n')[0]).toMatch(/^stack\.yml: .*alias/i)
  })
})
