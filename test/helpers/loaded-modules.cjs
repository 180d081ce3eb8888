// Preloaded (`node -r`) into a process under test: when it exits, writes the CommonJS modules it
// loaded (dockerode, undici, yaml, fastify... are CommonJS, also when imported from ES modules)
// to the file named by P2PFAAS_TEST_LOADED_MODULES, one path a line.
const { writeFileSync } = require('node:fs')

process.on('exit', () => {
  writeFileSync(process.env.P2PFAAS_TEST_LOADED_MODULES, Object.keys(require.cache).join('\n') + '\n')
})
