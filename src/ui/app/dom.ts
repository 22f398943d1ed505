/** A tiny element builder: h('div.card', {onclick}, [children]). No framework, no innerHTML with data. */
type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K | `${K}.${string}`, attrs: Attrs = {}, children: Child[] | Child = []): HTMLElementTagNameMap[K] {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name as K);
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v as EventListener);
    else if (k === 'class') el.className = [el.className, String(v)].filter(Boolean).join(' ');
    else if (k === 'text') el.textContent = String(v);
    else if (k in el && typeof v !== 'string') (el as unknown as Record<string, unknown>)[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of Array.isArray(children) ? children : [children]) {
    if (c === null || c === undefined || c === false) continue;
    el.append(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** SVG element (namespace-aware). */
export function s(tag: string, attrs: Record<string, string | number> = {}, children: Node[] = []): SVGElement {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
}

export function clear(el: Element): void {
  while (el.firstChild) el.firstChild.remove();
}

let uid = 0;
export function id(prefix: string): string {
  return `${prefix}-${++uid}`;
}

/** A labelled field: <label for=…>text</label> + control. */
export function field(label: string, control: HTMLElement, hint?: string): HTMLElement {
  if (!control.id) control.id = id('f');
  return h('div.field', {}, [h('label', { for: control.id, text: label }), control, hint ? h('small.hint', { text: hint }) : null]);
}

export function fmtMs(ms: unknown): string {
  const n = Number(ms);
  if (!Number.isFinite(n)) return String(ms);
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${n.toFixed(n < 10 ? 1 : 0)} ms`;
}

export function fmtBytes(b: number): string {
  if (!Number.isFinite(b)) return '?';
  const u = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (b >= 1024 && i < u.length - 1) {
    b /= 1024;
    i++;
  }
  return `${b.toFixed(i ? 1 : 0)} ${u[i]}`;
}
