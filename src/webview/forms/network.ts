/**
 * The browser side of the Create Network form: its fields, checked live with the core's
 * validators, the mode's own fields shown and the others hidden. The loop (drafts, preview with
 * the exact XML, Apply, outcome) is the kit's.
 */
import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-checkbox/index.js';
import '@vscode-elements/elements/dist/vscode-form-group/index.js';
import '@vscode-elements/elements/dist/vscode-form-helper/index.js';
import '@vscode-elements/elements/dist/vscode-label/index.js';
import '@vscode-elements/elements/dist/vscode-option/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-single-select/index.js';
import '@vscode-elements/elements/dist/vscode-textarea/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import type { ForwardMode } from '../../core/ops/libvirt/networkCreate';
import { FIELDS, fieldProblems, ownBridge, type Field } from '../../forms/network/checks';
import { emptyDraft, isDraft, isNetworkFormData, type Draft, type NetworkFormData } from '../../forms/network/draft';
import { $, field, h, options, type CheckEl, type ValueEl } from '../kit/dom';
import { FormLoop } from '../kit/formLoop';

const loop = new FormLoop<Draft, NetworkFormData>(emptyDraft());
const data = () => loop.init!.data;
const draft = () => loop.draft;

/** Text fields, by draft key. */
const TEXT = ['name', 'bridgeName', 'delay', 'address', 'ipv6', 'domain', 'forwarders', 'mtu'] as const;
/** Fields of one entry per line. */
const LINES = ['dhcpRanges', 'dhcpHosts', 'ipv6Ranges'] as const;

function devOptions(): HTMLElement[] {
  const d = draft();
  const list = data().devices[d.forward] ?? [];
  return options(list, [d.dev], d.forward === 'nat' ? '(any uplink: whichever routes outward)' : 'Choose one');
}

/** A range suggestion from the address as typed (`.10` to `.254` of its /24). */
function rangeHint(): string {
  const a = draft().address.trim() || data().freeSubnet;
  const base = a.split('/')[0]!.split('.').slice(0, 3).join('.');
  return `${base}.10-${base}.254`;
}

function check(id: 'stp' | 'isolatePorts' | 'autostart', label: string, checked: boolean): HTMLElement {
  return h('div', { class: 'row' }, h('vscode-checkbox', { id, label, checked }));
}

function area(id: (typeof LINES)[number], label: string, placeholder: string, hint: string): HTMLElement {
  return field(id, label, h('vscode-textarea', { placeholder, rows: '2', value: draft()[id].join('\n') }), hint);
}

function render(): void {
  const m = data();
  const d = draft();
  $('app').replaceChildren(
    h('h1', { id: 'title' }, 'Create a libvirt network'),
    h('p', { class: 'host' }, 'Host: ', h('strong', { id: 'host' }, loop.init!.host.label)),
    h(
      'section',
      { class: 'fields' },
      field('name', 'Name', h('vscode-textfield', { placeholder: 'lab-nat', value: d.name }), 'Letters, digits, "-", "_" and ".".'),
      field('forward', 'Forward mode', h('vscode-single-select', {}, ...options(m.modes, [d.forward])), 'How its guests reach the outside.'),
      field('dev', 'Device', h('vscode-single-select', {}, ...devOptions()), ''),
      h(
        'div',
        { id: 'own-only' },
        field(
          'bridgeName',
          'Bridge name',
          h('vscode-textfield', { placeholder: m.freeBridge, value: d.bridgeName }),
          `Empty: ${m.freeBridge}, the first free one.`,
        ),
        check('stp', 'Spanning tree (STP) on the bridge', d.stp),
        field(
          'delay',
          'Forward delay (seconds)',
          h('vscode-textfield', { placeholder: '0', value: d.delay }),
          "libvirt's default is 0: ports forward at once.",
        ),
        field(
          'address',
          "Host's IPv4 address with prefix",
          h('vscode-textfield', { placeholder: m.freeSubnet, value: d.address }),
          `The subnet must be free on the host; ${m.freeSubnet} is.`,
        ),
        area('dhcpRanges', 'DHCP ranges, one per line', rangeHint(), 'START-END inside the subnet, not over the host address.'),
        area('dhcpHosts', 'Static hosts, one per line', '52:54:00:12:34:56,192.168.100.20,web', 'MAC,IP[,NAME]: the guest with that MAC always gets that IP.'),
        field('ipv6', "Host's IPv6 address with prefix (optional)", h('vscode-textfield', { placeholder: 'fd00:100::1/64', value: d.ipv6 })),
        area('ipv6Ranges', 'DHCPv6 ranges, one per line', 'fd00:100::100-fd00:100::1ff', 'START-END inside the IPv6 subnet.'),
        field(
          'domain',
          'DNS domain (optional)',
          h('vscode-textfield', { placeholder: 'lab.test', value: d.domain }),
          'Guests get names under it from dnsmasq.',
        ),
        field(
          'forwarders',
          'DNS forwarders (optional)',
          h('vscode-textfield', { placeholder: '192.0.2.53 192.0.2.54', value: d.forwarders }),
          "Upstream servers for the network's dnsmasq; empty: the host's resolv.conf.",
        ),
        field('mtu', 'MTU (optional)', h('vscode-textfield', { placeholder: '1500', value: d.mtu }), "Of the bridge and the guests' taps."),
        check('isolatePorts', "Isolate the guests' ports (they reach the host and beyond, not each other)", d.isolatePorts),
      ),
      check('autostart', 'Start it at every boot (autostart)', d.autostart),
    ),
    loop.previewBox(),
    ...loop.actions(),
  );
  wire();
  loop.rendered();
}

function refreshLists(): void {
  $('dev').replaceChildren(...devOptions());
}

function wire(): void {
  for (const id of TEXT) $<ValueEl>(id).addEventListener('input', () => loop.set({ [id]: $<ValueEl>(id).value }));
  for (const id of LINES) $<ValueEl>(id).addEventListener('input', () => loop.set({ [id]: $<ValueEl>(id).value.split('\n') }));
  for (const id of ['stp', 'isolatePorts', 'autostart'] as const) $(id).addEventListener('change', () => loop.set({ [id]: $<CheckEl>(id).checked }));
  $('forward').addEventListener('change', () => {
    const forward = $<ValueEl>('forward').value as ForwardMode;
    // A device chosen for one mode means nothing in another (an uplink is not a bridge).
    loop.set({ forward, dev: '' });
    refreshLists();
  });
  $('dev').addEventListener('change', () => loop.set({ dev: $<ValueEl>('dev').value }));
  $('address').addEventListener('input', () => $('dhcpRanges').setAttribute('placeholder', rangeHint()));
}

function problems(): Partial<Record<Field, string>> {
  return fieldProblems(draft(), loop.init?.data ?? { networks: [], taken: [] });
}

function showFields(): void {
  const d = draft();
  const own = ownBridge(d);
  $('own-only').hidden = !own;
  $('dev-group').hidden = d.forward === 'isolated' || d.forward === 'open';
  $('dev-hint').textContent =
    d.forward === 'bridge'
      ? 'The host bridge its guests join (they are then on its LAN).'
      : own
        ? 'The uplink it forwards through.'
        : 'The host NIC under macvtap. Guests on it cannot reach this host through that NIC.';
  const p = problems();
  for (const f of FIELDS) {
    // An empty field is quiet, but for the ones the mode needs once the user has begun (a name).
    const v = d[f];
    const typed = (typeof v === 'string' ? v : v.join('')).trim() !== '';
    const msg = typed || (d.name !== '' && (f === 'address' || f === 'dev')) ? (p[f] ?? '') : '';
    $<ValueEl>(f).invalid = msg !== '';
    $(`${f}-error`).textContent = msg;
  }
}

loop.start({
  isDraft,
  isData: isNetworkFormData,
  afterApply: () => emptyDraft(),
  render,
  refreshLists,
  showFields,
  problems: () => problems() as Record<string, string>,
});
