/**
 * The browser side of the bridge form (Create bridge / Bridge my uplink): its fields, checked
 * live with the core's validators. The loop (drafts, preview, Apply, outcome) is the kit's.
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
import { fieldProblems, type Field } from '../../forms/bridge/checks';
import { emptyDraft, isBridgeFormData, isDraft, type BridgeFormData, type Draft } from '../../forms/bridge/draft';
import { $, field, h, options, type CheckEl, type MultiEl, type ValueEl } from '../kit/dom';
import { FormLoop, type InitOf } from '../kit/formLoop';

const loop = new FormLoop<Draft, BridgeFormData>(emptyDraft());
const init = (): InitOf<Draft, BridgeFormData> => loop.init!;
const data = () => init().data;
const draft = () => loop.draft;

function persistOptions(selected: string): HTMLElement[] {
  return init().persistOptions.map((o) => h('vscode-option', { value: o.value, selected: o.value === selected }, o.label));
}

/** Builds the whole form for the host in `init`, filled in from the draft. */
function render(): void {
  const m = data();
  const d = draft();
  const modeGroup = h(
    'vscode-radio-group',
    { id: 'mode' },
    h('vscode-radio', { name: 'mode', value: 'create', label: 'Create a bridge', checked: d.mode === 'create' }),
    h('vscode-radio', { name: 'mode', value: 'uplink', label: "Bridge my uplink (move the host's address onto a new bridge)", checked: d.mode === 'uplink' }),
  );
  const addressing = h(
    'vscode-radio-group',
    { id: 'addressing' },
    h('vscode-radio', {
      name: 'addressing',
      value: 'dhcp',
      label: `DHCP${m.dhcpClient ? ` (${m.dhcpClient})` : ' (no DHCP client on the host)'}`,
      checked: d.addressing === 'dhcp',
    }),
    h('vscode-radio', { name: 'addressing', value: 'static', label: 'Static address', checked: d.addressing === 'static' }),
  );
  $('app').replaceChildren(
    h('h1', { id: 'title' }),
    h('p', { class: 'host' }, 'Host: ', h('strong', { id: 'host' }, init().host.label)),
    h(
      'section',
      { class: 'fields' },
      modeGroup,
      field('bridge', 'Bridge name', h('vscode-textfield', { placeholder: 'br0', value: d.bridge }), 'Letters, digits, "-", "_" and "."; at most 15 bytes.'),
      h('div', { class: 'row' }, h('vscode-checkbox', { id: 'stp', label: 'Spanning tree (STP)', checked: d.stp })),
      field(
        'forwardDelay',
        'Forward delay (seconds)',
        h('vscode-textfield', { placeholder: 'kernel default (15)', value: d.forwardDelay }),
        'With STP on, ports forward after listening and learning: 2 × this delay.',
      ),
      h(
        'div',
        { id: 'create-only' },
        field(
          'ports',
          'Ports',
          h('vscode-multi-select', {}, ...options(m.ports, d.ports)),
          m.ports.length ? 'Free interfaces on the host; an addressed NIC loses its addresses once it is a port.' : 'No free interfaces on the host.',
        ),
      ),
      h(
        'div',
        { id: 'uplink-only' },
        field(
          'nic',
          'Uplink NIC',
          h('vscode-single-select', {}, ...options(m.nics, [d.nic], 'Choose a NIC')),
          'Its addresses and routes (the default gateway too) move to the bridge.',
        ),
        addressing,
        h(
          'div',
          { id: 'static-only' },
          field('address', 'Address with prefix', h('vscode-textfield', { placeholder: '192.168.9.10/24', value: d.address })),
          field(
            'gateway',
            'Default gateway (optional)',
            h('vscode-textfield', { placeholder: '192.168.9.1', value: d.gateway }),
            'Without it, the default route through the NIC moves to the bridge.',
          ),
        ),
      ),
      field(
        'persist',
        'After a reboot',
        h('vscode-single-select', {}, ...persistOptions(d.persist)),
        init().persistOptions.length > 1
          ? "Saving writes VirtNet's own configuration for the host's network manager; the plan lists every file exactly."
          : 'No network manager detected on the host: the change is runtime only.',
      ),
    ),
    loop.previewBox(),
    ...loop.actions(),
  );
  wire();
  loop.rendered();
}

function refreshLists(): void {
  const m = data();
  $('ports').replaceChildren(...options(m.ports, draft().ports));
  $('nic').replaceChildren(...options(m.nics, [draft().nic], 'Choose a NIC'));
  $('persist').replaceChildren(...persistOptions(draft().persist));
}

function wire(): void {
  for (const id of ['bridge', 'forwardDelay', 'address', 'gateway'] as const) {
    $<ValueEl>(id).addEventListener('input', () => loop.set({ [id]: $<ValueEl>(id).value }));
  }
  $('stp').addEventListener('change', () => loop.set({ stp: $<CheckEl>('stp').checked }));
  $('ports').addEventListener('change', () => loop.set({ ports: [...$<MultiEl>('ports').value] }));
  $('nic').addEventListener('change', () => loop.set({ nic: $<ValueEl>('nic').value }));
  $('persist').addEventListener('change', () =>
    loop.set({ persist: init().persistOptions.find((o) => o.value === $<ValueEl>('persist').value)?.value ?? 'none' }),
  );
  const radios = (group: string, set: (v: string) => void) =>
    $(group).addEventListener('change', (e) => {
      const r = e.target as HTMLElement & { checked: boolean; value: string };
      if (r.checked) set(r.value);
    });
  radios('mode', (v) => loop.set({ mode: v === 'uplink' ? 'uplink' : 'create' }));
  radios('addressing', (v) => loop.set({ addressing: v === 'static' ? 'static' : 'dhcp' }));
}

function problems(): Partial<Record<Field, string>> {
  return fieldProblems(draft(), loop.init?.data.taken ?? []);
}

function showFields(): void {
  const d = draft();
  const uplink = d.mode === 'uplink';
  $('title').textContent = uplink ? 'Bridge my uplink' : 'Create a bridge';
  $('create-only').hidden = uplink;
  $('uplink-only').hidden = !uplink;
  $('static-only').hidden = !uplink || d.addressing !== 'static';
  const p = problems();
  for (const f of ['bridge', 'forwardDelay', 'ports', 'nic', 'address', 'gateway'] as Field[]) {
    // An empty field the user has not touched yet is not an error worth shouting about.
    const quiet = f === 'bridge' ? d.bridge === '' : f === 'nic' ? d.nic === '' : f === 'address' ? d.address === '' : false;
    const msg = quiet ? '' : (p[f] ?? '');
    $<ValueEl>(f).invalid = msg !== '';
    $(`${f}-error`).textContent = msg;
  }
}

loop.start({
  isDraft,
  isData: isBridgeFormData,
  afterApply: (d) => emptyDraft(d.mode),
  render,
  refreshLists,
  showFields,
  problems: () => problems() as Record<string, string>,
});
