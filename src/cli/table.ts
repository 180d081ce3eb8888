/** A PeerId short enough for a terminal column, still telling nodes of one mesh apart. */
export const shortId = (peerId: string): string => peerId.length > 16 ? `${peerId.slice(0, 8)}…${peerId.slice(-6)}` : peerId

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function renderTable (header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map(r => (r[i] ?? '').length)))
  const line = (cells: string[]): string => cells.map((c, i) => i === cells.length - 1 ? c : c.padEnd(widths[i]!)).join('  ').trimEnd()
  return [line(header), ...rows.map(line)].join('\n') + '\n'
}

/** `--json` output: one document, pretty, newline-terminated. */
export const toJson = (value: unknown): string => JSON.stringify(value, null, 2) + '\n'
