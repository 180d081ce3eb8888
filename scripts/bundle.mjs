// Bundles the compiled CLI (dist/src/cli/main.js, from tsc) into dist/src/bin/: the `p2pfaas`
// command users and the node image run.
//
// Why: a node started from tsc's output opens about 1,100 JavaScript files (its own and its
// dependencies'), and resolving, reading and compiling them one by one was most of its start:
// 1.2 s of CPU here, against 0.5 s for the same code in a few files (npm run bench:boot). On a LAN
// that powers up together that CPU is taken from every other node, so it was most of the time a
// fleet took to form.
//
// What stays outside the bundle, loaded from node_modules as before:
//   - dockerode (through ssh2 and cpu-features it reaches optional native addons);
//   - pino and its pretty printer (pino starts worker threads from file paths);
//   - undici (CommonJS loaded with a dynamic import: bundled, its named exports would be lost);
//   - what the code loads with createRequire at run time (yaml), which a bundler cannot see;
//   - what fastify requires only when it is used: its schema compilers (ajv, fast-json-stringify;
//     the gateway gives its own, src/gateway/server.ts) and light-my-request (inject(), for tests).
//     Bundled, every node parsed them at start: 40 % of the node's chunk.
// Code split at the dynamic imports the CLI already has, so `p2pfaas --version` still loads no node
// and a node loads no CLI command it does not run.
import { build } from 'esbuild'
import { readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const outdir = `${root}dist/src/bin`

await rm(outdir, { recursive: true, force: true })
await build({
  entryPoints: [`${root}dist/src/cli/main.js`],
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace and comments only: names stay as written (renamed only where two modules clash), so a
  // stack trace still reads, and positions map back through the linked source maps (node
  // --enable-source-maps). Every node parses the whole of what it loads at start, and V8 keeps the
  // source for lazy compiling: 30 % fewer bytes is less of both (npm run bench:boot).
  // keepNames would pin every name at run time: 4 to 5 MiB more RSS per node, for nothing we read.
  minifyWhitespace: true,
  sourcemap: 'linked',
  // Licence comments go to a .LEGAL.txt beside each chunk, linked from it, instead of inline.
  legalComments: 'linked',
  external: ['dockerode', 'pino', 'pino-pretty', 'thread-stream', 'undici',
    '@fastify/ajv-compiler', '@fastify/fast-json-stringify-compiler', 'light-my-request'],
  // CommonJS dependencies call require() (for Node's own modules): give every chunk one.
  banner: { js: "import { createRequire as __p2pfaasRequire } from 'node:module'; const require = __p2pfaasRequire(import.meta.url);" },
  logLevel: 'warning'
})

// One character outside ASCII makes V8 hold and scan the whole file as UTF-16: twice the bytes,
// and Node's loader decodes it on a slow path (50 ms of a node's start, when a dependency's comment
// or a regular expression had one). esbuild escapes strings but not regular expressions, so what is
// left is escaped here: \uXXXX means the same in a string, a template and a regular expression.
for (const name of await readdir(outdir)) {
  if (!name.endsWith('.js')) continue
  const path = `${outdir}/${name}`
  const text = await readFile(path, 'utf8')
  if (/^[\x00-\x7f]*$/.test(text)) continue
  await writeFile(path, text.replace(/[^\x00-\x7f]/g, c => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`))
}
