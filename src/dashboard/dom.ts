/** Small DOM helpers: every text from the mesh goes in as text, never as markup. */
const SVG_NS = 'http://www.w3.org/2000/svg'

export function el<K extends keyof HTMLElementTagNameMap> (tag: K, attrs: Record<string, string> = {}, ...children: Array<Node | string>): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v)
  node.append(...children)
  return node
}

export function svg (tag: string, attrs: Record<string, string | number> = {}, text?: string): SVGElement {
  const node = document.createElementNS(SVG_NS, tag)
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v))
  if (text != null) node.textContent = text
  return node
}

/** Replaces a table body's rows in one go. */
export function fillBody (table: string, rows: HTMLTableRowElement[]): void {
  const body = document.querySelector(`#${table} tbody`)
  body?.replaceChildren(...rows)
}

/** A node's name on screen: the end of its PeerId, which is what differs between nodes. */
export const nameOf = (peerId: string): string => `…${peerId.slice(-6)}`

export const ms = (v: number | undefined): string => v == null ? '–' : v < 10 ? `${v.toFixed(1)} ms` : v < 10_000 ? `${Math.round(v)} ms` : `${(v / 1000).toFixed(1)} s`

export const perSecond = (v: number): string => v === 0 ? '0' : v < 10 ? v.toFixed(2) : v.toFixed(0)
