import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { parseBridgeLink, parseLinks, parseRoutes } from '../../../../src/core/collect/parse-ip';
import { parseQemuNicModels } from '../../../../src/core/collect/parse-host';

const seed = (name: string) => readFileSync(new URL(`../../../fixtures/seed/${name}`, import.meta.url), 'utf8');

test('ip -j -d link + ip -j addr of the seed host', () => {
  const links = parseLinks(seed('ip-link-detail.json'), seed('ip-addr.json'), []);
  const byName = new Map(links.map((l) => [l.name, l]));
  const br9 = byName.get('br9');
  assert.equal(br9?.kind, 'bridge');
  assert.equal(br9?.infoData.stp_state, 1);
  assert.deepEqual(
    br9?.addresses.filter((a) => a.includes('.')),
    ['10.231.250.2/24'],
  );
  assert.equal(byName.get('enp3s1')?.master, 'br9');
  assert.equal(byName.get('enp3s1')?.portKind, 'veth');
  assert.equal(byName.get('vnet0')?.portKind, 'tap');
  assert.equal(byName.get('vnet0')?.up, true);
  assert.equal(byName.get('virbr0')?.addresses[0], '192.168.122.1/24');
  // Link-local IPv6 is left out; loopback's ::1 is kept.
  assert.ok(!links.some((l) => l.addresses.some((a) => a.startsWith('fe80:'))));
});

test('routes: the default route goes via br9 on the seed host', () => {
  const routes = parseRoutes(seed('ip-route.json'), 'ipv4');
  const def = routes.find((r) => r.dst === 'default');
  assert.equal(def?.dev, 'br9');
  assert.equal(def?.gateway, '10.231.250.1');
  assert.deepEqual(parseRoutes('', 'ipv6'), []);
});

test('bridge -j link: port states', () => {
  const ports = parseBridgeLink(seed('bridge-link.json'));
  assert.deepEqual(ports.get('enp3s1'), { master: 'br9', state: 'forwarding' });
  assert.deepEqual(ports.get('vnet0'), { master: 'br9', state: 'disabled' });
});

test('malformed JSON throws (build turns it into a check)', () => {
  assert.throws(() => parseLinks('{"not": "an array"}', '[]', []), /expected a JSON array/);
  assert.throws(() => parseLinks('[{', '[]', []));
});

test('QEMU 7.2 -device help: NIC models', () => {
  const models = parseQemuNicModels(seed('qemu-device-help.txt'));
  for (const m of ['virtio-net-pci', 'e1000', 'e1000e', 'rtl8139']) {
    assert.ok(models.includes(m), m);
  }
  assert.ok(!models.includes('virtio-blk-pci'), 'only the Network devices section');
});
