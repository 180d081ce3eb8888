// echo: answers with the request body unchanged and the request's content-type.
// x-echo-method / x-echo-path / x-echo-query describe the request; `?status=NNN` (200-599) sets
// the status, for status pass-through tests.
export async function handle (req) {
  const params = new URLSearchParams(req.query)
  let status = 200
  const wanted = params.get('status')
  if (wanted != null && /^\d{3}$/.test(wanted)) {
    const n = Number(wanted)
    if (n >= 200 && n <= 599) status = n
  }
  return {
    status,
    headers: {
      'content-type': req.headers['content-type'] ?? 'application/octet-stream',
      'x-echo-method': req.method,
      'x-echo-path': req.path,
      'x-echo-query': req.query
    },
    body: req.body
  }
}
