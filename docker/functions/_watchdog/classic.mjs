// Classic-watchdog form, shared by every function, for a process runtime (OpenFaaS `fprocess`):
// the body arrives on stdin, the request line and headers as CGI-style environment variables
//   Http_Method, Http_Path, Http_Query, Http_Content_Type, and Http_X_Foo for header x-foo,
// and only the response body goes to stdout. Exit 0 when the handler answered (a status >= 400 is
// also noted on stderr), exit 1 with the message on stderr when it threw.
// A function's classic.mjs is just `await runClassic(handle)` with its ./handler.mjs.

const SPECIAL = new Set(['Http_Method', 'Http_Path', 'Http_Query'])

async function readStdin () {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  return Buffer.concat(chunks)
}

function headersFromEnv (env) {
  const headers = {}
  for (const [k, v] of Object.entries(env)) {
    if (!k.startsWith('Http_') || SPECIAL.has(k) || v == null) continue
    headers[k.slice(5).toLowerCase().replace(/_/g, '-')] = v
  }
  return headers
}

function writeOut (data) {
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (err) => (err ? reject(err) : resolve()))
  })
}

/**
 * Runs one classic-watchdog call of `handle` (stdin and process.env in, stdout out) and sets
 * process.exitCode: 0 when the handler answered, 1 when it threw. Resolves to that code.
 */
export async function runClassic (handle) {
  try {
    const body = await readStdin()
    const env = process.env
    const req = {
      method: (env.Http_Method || (body.length > 0 ? 'POST' : 'GET')).toUpperCase(),
      path: env.Http_Path || '/',
      query: (env.Http_Query ?? '').replace(/^\?/, ''),
      headers: headersFromEnv(env),
      body,
      signal: new AbortController().signal
    }
    const res = await handle(req)
    const out = res?.body == null ? Buffer.alloc(0) : typeof res.body === 'string' ? Buffer.from(res.body) : Buffer.from(res.body)
    if (Number(res?.status) >= 400) process.stderr.write(`handler answered ${res.status}\n`)
    await writeOut(out)
    process.exitCode = 0
  } catch (err) {
    process.stderr.write(`${err?.message ?? err}\n`)
    process.exitCode = 1
  }
  return process.exitCode
}
