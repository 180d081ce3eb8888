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
//   - what the code loads with createRequire at run time (yaml), which a bundler cannot see.
// Code split at the dynamic imports the CLI already has, so `p2pfaas --version` still loads no node
// and a node loads no CLI command it does not run.
import { build } from 'esbuild'
import { rm } from 'node:fs/promises'
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
  // Not minified, so names stay as written (renamed only where two modules clash) and a stack trace
  // reads as it is; line numbers map back through the linked source maps (node --enable-source-maps).
  // keepNames would pin every name at run time: 4 to 5 MiB more RSS per node, for nothing we read.
  sourcemap: 'linked',
  external: ['dockerode', 'pino', 'pino-pretty', 'thread-stream', 'undici'],
  // CommonJS dependencies call require() (for Node's own modules): give every chunk one.
  banner: { js: "import { createRequire as __p2pfaasRequire } from 'node:module'; const require = __p2pfaasRequire(import.meta.url);" },
  logLevel: 'warning'
})
