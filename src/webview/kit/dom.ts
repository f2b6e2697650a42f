/** Small DOM helpers every form uses: elements by tag and attributes, fields with their errors. */

/** Elements with a `value` (textfield, single/multi select) and a visible error state. */
export type ValueEl = HTMLElement & { value: string; invalid: boolean };
export type MultiEl = HTMLElement & { value: string[]; invalid: boolean };
export type CheckEl = HTMLElement & { checked: boolean };
export type ButtonEl = HTMLElement & { disabled: boolean };

export function h(tag: string, attrs: Record<string, string | boolean> = {}, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) el.append(c);
  return el;
}

export const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** A labelled control with its hint and an error line (`<id>-error`) the form fills in. */
export function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
  control.id = id;
  return h(
    'vscode-form-group',
    { variant: 'vertical', id: `${id}-group` },
    h('vscode-label', { for: id }, label),
    control,
    h('vscode-form-helper', { id: `${id}-hint` }, hint ?? ''),
    h('div', { class: 'error', id: `${id}-error`, role: 'alert' }),
  );
}

/** `<vscode-option>`s of a list of `{name, detail}`, with `selected` marked; `blank` first when given. */
export function options(list: { name: string; detail: string }[], selected: string[], blank?: string): HTMLElement[] {
  const out = blank !== undefined ? [h('vscode-option', { value: '', selected: selected.includes('') }, blank)] : [];
  for (const i of list) {
    out.push(h('vscode-option', { value: i.name, description: i.detail, selected: selected.includes(i.name) }, `${i.name} — ${i.detail}`));
  }
  return out;
}
