/**
 * The browser side of the bridge form (Create bridge / Bridge my uplink). It validates each field
 * live with the core's validators, sends the draft to the extension on every change and shows the
 * plan the real planner made from it; Apply stays disabled until both agree the input is valid.
 * Everything from the extension is checked with the shared protocol guards before use.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-group/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-multi-select/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-radio/index.js';
import '@vscode-elements/elements/dist/vscode-radio-group/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { fieldProblems, type Field } from '../forms/checks';
import { emptyDraft, isDraft, isFormUpdate, type Draft, type FormUpdate, type Iface, type Outcome, type PlanResult } from '../forms/protocol';
import { vscodeApi, type SavedState } from './vscodeApi';

type InitMsg = Extract<FormUpdate, { type: 'init' }>;

/** Elements with a `value` (textfield, single/multi select) and a visible error state. */
type ValueEl = HTMLElement & { value: string; invalid: boolean };
type MultiEl = HTMLElement & { value: string[]; invalid: boolean };
type CheckEl = HTMLElement & { checked: boolean };
type ButtonEl = HTMLElement & { disabled: boolean };

let init: InitMsg | undefined;
let draft: Draft = emptyDraft();
let seq = 0;
/** The extension's answer for the current draft; null while it is being computed. */
let planned: { seq: number; result: PlanResult } | null = null;
let busy = false;
/** The last apply's outcome, kept on screen when the form is rebuilt. */
let lastOutcome: Outcome | undefined;
let planTimer: ReturnType<typeof setTimeout> | undefined;

function h<K extends string>(tag: K, attrs: Record<string, string | boolean> = {}, ...children: (Node | string)[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === false) continue;
    el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) el.append(c);
  return el;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

function field(id: string, label: string, control: HTMLElement, hint?: string): HTMLElement {
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

function options(list: Iface[], selected: string[], blank?: string): HTMLElement[] {
  const out = blank !== undefined ? [h('vscode-option', { value: '', selected: !selected.includes('') ? false : true }, blank)] : [];
  for (const i of list) {
    out.push(h('vscode-option', { value: i.name, description: i.detail, selected: selected.includes(i.name) }, `${i.name} — ${i.detail}`));
  }
  return out;
}

/** Builds the whole form for the host in `init`, filled in from `draft`. */
function render(): void {
  const m = init!;
  const app = $('app');
  app.replaceChildren();
  const modeGroup = h(
    'vscode-radio-group',
    { id: 'mode' },
    h('vscode-radio', { name: 'mode', value: 'create', label: 'Create a bridge', checked: draft.mode === 'create' }),
    h('vscode-radio', { name: 'mode', value: 'uplink', label: 'Bridge my uplink (move the host\'s address onto a new bridge)', checked: draft.mode === 'uplink' }),
  );
  const ports = h('vscode-multi-select', {}, ...options(m.ports, draft.ports));
  const nic = h('vscode-single-select', {}, ...options(m.nics, [draft.nic], 'Choose a NIC'));
  const addressing = h(
    'vscode-radio-group',
    { id: 'addressing' },
    h('vscode-radio', { name: 'addressing', value: 'dhcp', label: `DHCP${m.dhcpClient ? ` (${m.dhcpClient})` : ' (no DHCP client on the host)'}`, checked: draft.addressing === 'dhcp' }),
    h('vscode-radio', { name: 'addressing', value: 'static', label: 'Static address', checked: draft.addressing === 'static' }),
  );
  const persist = h('vscode-single-select', {}, ...persistOptions(m, draft.persist));
  app.append(
    h('h1', { id: 'title' }),
    h('p', { class: 'host' }, 'Host: ', h('strong', { id: 'host' }, m.host.label)),
    h('section', { class: 'fields' },
      modeGroup,
      field('bridge', 'Bridge name', h('vscode-textfield', { placeholder: 'br0', value: draft.bridge }), 'At most 15 bytes; no "/", ":" or spaces.'),
      h('div', { class: 'row' },
        h('vscode-checkbox', { id: 'stp', label: 'Spanning tree (STP)', checked: draft.stp }),
      ),
      field('forwardDelay', 'Forward delay (seconds)', h('vscode-textfield', { placeholder: 'kernel default (15)', value: draft.forwardDelay }), 'With STP on, ports forward after listening and learning: 2 × this delay.'),
      h('div', { id: 'create-only' },
        field('ports', 'Ports', ports, m.ports.length ? 'Free interfaces on the host; an addressed NIC loses its addresses once it is a port.' : 'No free interfaces on the host.'),
      ),
      h('div', { id: 'uplink-only' },
        field('nic', 'Uplink NIC', nic, 'Its addresses and routes (the default gateway too) move to the bridge.'),
        addressing,
        h('div', { id: 'static-only' },
          field('address', 'Address with prefix', h('vscode-textfield', { placeholder: '192.168.9.10/24', value: draft.address })),
          field('gateway', 'Default gateway (optional)', h('vscode-textfield', { placeholder: '192.168.9.1', value: draft.gateway }), 'Without it, the default route through the NIC moves to the bridge.'),
        ),
      ),
      field(
        'persist',
        'After a reboot',
        persist,
        m.persistOptions.length > 1 ? 'Saving writes VirtNet\'s own configuration for the host\'s network manager; the plan lists every file exactly.' : 'No network manager detected on the host: the change is runtime only.',
      ),
    ),
    h('section', { class: 'preview', id: 'preview', 'aria-live': 'polite' }),
    h('div', { class: 'actions' },
      h('vscode-button', { id: 'apply', disabled: true }, 'Apply'),
      h('vscode-button', { id: 'copy', secondary: true, disabled: true }, 'Copy as Script'),
      h('vscode-button', { id: 'cancel', secondary: true, hidden: true }, 'Cancel'),
      h('span', { id: 'progress', hidden: true }, h('vscode-progress-ring'), h('span', { id: 'progress-text' })),
    ),
    h('section', { id: 'result', hidden: true, role: 'status' }),
  );
  wire();
  drawResult();
  update();
}

function persistOptions(m: InitMsg, selected: string): HTMLElement[] {
  return m.persistOptions.map((o) => h('vscode-option', { value: o.value, selected: o.value === selected }, o.label));
}

/** New interface lists after a refresh, without disturbing what the user typed. */
function refreshLists(): void {
  const m = init!;
  $('ports').replaceChildren(...options(m.ports, draft.ports));
  $('nic').replaceChildren(...options(m.nics, [draft.nic], 'Choose a NIC'));
  $('persist').replaceChildren(...persistOptions(m, draft.persist));
}

function wire(): void {
  const text = (id: 'bridge' | 'forwardDelay' | 'address' | 'gateway') =>
    $<ValueEl>(id).addEventListener('input', () => {
      draft = { ...draft, [id]: $<ValueEl>(id).value };
      changed();
    });
  text('bridge');
  text('forwardDelay');
  text('address');
  text('gateway');
  $('stp').addEventListener('change', () => {
    draft = { ...draft, stp: $<CheckEl>('stp').checked };
    changed();
  });
  $('ports').addEventListener('change', () => {
    draft = { ...draft, ports: [...$<MultiEl>('ports').value] };
    changed();
  });
  $('nic').addEventListener('change', () => {
    draft = { ...draft, nic: $<ValueEl>('nic').value };
    changed();
  });
  $('persist').addEventListener('change', () => {
    const v = init!.persistOptions.find((o) => o.value === $<ValueEl>('persist').value)?.value;
    draft = { ...draft, persist: v ?? 'none' };
    changed();
  });
  const radios = (group: string, set: (v: string) => void) =>
    $(group).addEventListener('change', (e) => {
      const r = e.target as HTMLElement & { checked: boolean; value: string };
      if (r.checked) {
        set(r.value);
        changed();
      }
    });
  radios('mode', (v) => (draft = { ...draft, mode: v === 'uplink' ? 'uplink' : 'create' }));
  radios('addressing', (v) => (draft = { ...draft, addressing: v === 'static' ? 'static' : 'dhcp' }));
  $('apply').addEventListener('click', () => {
    if (!canApply()) return;
    busy = true;
    vscodeApi.postMessage({ type: 'apply', seq, draft });
    showProgress('Waiting for your confirmation…');
    update();
  });
  $('copy').addEventListener('click', () => {
    if (planned?.result.ok) vscodeApi.postMessage({ type: 'copyScript', draft });
  });
  $('cancel').addEventListener('click', () => vscodeApi.postMessage({ type: 'cancel' }));
}

/** The draft changed: save it, re-check the fields now, ask for a new plan shortly. */
function changed(): void {
  vscodeApi.setState({ host: init!.host.dest, draft });
  seq++;
  planned = null;
  update();
  if (planTimer) clearTimeout(planTimer);
  // A short pause, so typing a name sends one request rather than one per key.
  planTimer = setTimeout(() => vscodeApi.postMessage({ type: 'draft', seq, draft }), 120);
}

function localProblems(): Partial<Record<Field, string>> {
  return fieldProblems(draft, init?.taken ?? []);
}

function canApply(): boolean {
  return !busy && Object.keys(localProblems()).length === 0 && planned?.seq === seq && planned.result.ok;
}

/** Shows the state of everything: visible fields, field errors, the preview, the buttons. */
function update(): void {
  if (!init) return;
  const uplink = draft.mode === 'uplink';
  $('title').textContent = uplink ? 'Bridge my uplink' : 'Create a bridge';
  $('create-only').hidden = uplink;
  $('uplink-only').hidden = !uplink;
  $('static-only').hidden = !uplink || draft.addressing !== 'static';
  const problems = localProblems();
  for (const f of ['bridge', 'forwardDelay', 'ports', 'nic', 'address', 'gateway'] as Field[]) {
    const el = $<ValueEl>(f);
    // An empty field the user has not touched yet is not an error worth shouting about.
    const quiet = f === 'bridge' ? draft.bridge === '' : f === 'nic' ? draft.nic === '' : f === 'address' ? draft.address === '' : false;
    const msg = quiet ? '' : (problems[f] ?? '');
    el.invalid = msg !== '';
    $(`${f}-error`).textContent = msg;
  }
  renderPreview();
  ($<ButtonEl>('apply')).disabled = !canApply();
  ($<ButtonEl>('copy')).disabled = busy || !(planned?.seq === seq && planned.result.ok);
}

function renderPreview(): void {
  const box = $('preview');
  box.replaceChildren(h('h2', {}, 'Plan'));
  const local = Object.values(localProblems());
  if (local.length) {
    box.append(h('p', { class: 'muted', id: 'plan-state' }, 'Fill in the form: the plan shows here once the input is valid.'));
    return;
  }
  if (!planned || planned.seq !== seq) {
    box.append(h('p', { class: 'muted', id: 'plan-state' }, 'Planning…'));
    return;
  }
  const r = planned.result;
  if (!r.ok) {
    box.append(h('p', { class: 'error', id: 'plan-state' }, 'The host refuses this input; nothing can run:'), h('ul', { class: 'problems', id: 'plan-problems' }, ...r.problems.map((p) => h('li', {}, p))));
    return;
  }
  const p = r.plan;
  box.append(
    h('p', { id: 'plan-title' }, h('strong', {}, p.title), ` — ${p.steps.length} step${p.steps.length === 1 ? '' : 's'}, applied in one round trip; a failing step undoes the ones before it.`),
    h(
      'ol',
      { class: 'steps', id: 'plan-steps' },
      ...p.steps.map((s) =>
        h(
          'li',
          { class: s.touchesConnection ? 'touches' : '' },
          h('div', { class: 'why' }, s.why, s.touchesConnection ? h('span', { class: 'badge' }, 'connection path') : ''),
          h('code', { class: 'cmd' }, `$ ${s.command}`),
          s.undo ? h('div', { class: 'undo' }, 'undo: ', h('code', {}, s.undo)) : '',
        ),
      ),
    ),
  );
  if (p.files.length || p.removes.length) {
    box.append(
      h(
        'div',
        { class: 'files', id: 'plan-files' },
        h('h3', {}, 'Configuration saved for the next boot'),
        ...p.files.map((f) => h('div', { class: 'file' }, h('div', { class: 'path' }, `${f.path} (mode ${f.mode}), written exactly as:`), h('pre', {}, f.contents))),
        ...p.removes.map((r) => h('div', { class: 'file' }, h('div', { class: 'path' }, `${r} is removed (backed up first)`))),
      ),
    );
  }
  if (p.warnings.length) box.append(h('ul', { class: 'warnings', id: 'plan-warnings' }, ...p.warnings.map((w) => h('li', {}, w))));
  if (p.touchesConnection) box.append(h('p', { class: 'warning' }, 'This plan changes the path of the connection to the host: Apply asks whether to guard it with an automatic rollback.'));
}

function showProgress(text: string | null): void {
  $('progress').hidden = text === null;
  $('progress-text').textContent = text ?? '';
}

function drawResult(): void {
  const box = $('result');
  const o = lastOutcome;
  box.hidden = !o;
  if (!o) return;
  box.className = `result ${o.kind}`;
  box.replaceChildren(h('p', { id: 'result-message' }, o.message), ...(o.detail ? [h('pre', { id: 'result-detail' }, o.detail)] : []));
}

function showResult(o: Outcome): void {
  busy = false;
  lastOutcome = o;
  if (o.kind === 'applied') {
    // Done: a fresh draft, rather than a form that now says its own bridge "already exists".
    draft = emptyDraft(draft.mode);
    render();
    changed();
    return;
  }
  showProgress(null);
  $('cancel').hidden = true;
  drawResult();
  update();
}

function receive(msg: FormUpdate): void {
  switch (msg.type) {
    case 'init': {
      const first = !init;
      init = msg;
      const saved = vscodeApi.getState() as Partial<SavedState> | undefined;
      const base = first && saved?.host === msg.host.dest && isDraft(saved.draft) ? saved.draft : draft;
      draft = { ...base, ...msg.preset };
      if (first || Object.keys(msg.preset).length > 0) render();
      else refreshLists();
      changed();
      break;
    }
    case 'plan':
      if (msg.seq !== seq) return; // an answer to a draft the user has already changed
      planned = { seq: msg.seq, result: msg.result };
      update();
      break;
    case 'applying':
      lastOutcome = undefined;
      drawResult();
      showProgress(msg.guarded ? `Applying ${msg.title} under the rollback guard…` : `Applying ${msg.title}…`);
      $('cancel').hidden = msg.guarded;
      break;
    case 'result':
      showResult(msg.outcome);
      break;
  }
}

window.addEventListener('message', (e: MessageEvent) => {
  if (!isFormUpdate(e.data)) {
    console.warn('virtnet form: ignored a message that is not part of the protocol', e.data);
    return;
  }
  receive(e.data);
});

vscodeApi.postMessage({ type: 'ready' });
