import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseLinks } from '../../../../src/core/collect/parse-ip';

// iproute2 prints "dynamic": true for addresses with a finite lifetime (a DHCP lease, SLAAC).
test('addresses with a lifetime are listed as dynamic; static ones and link-local ones are not', () => {
  const link = JSON.stringify([
    { ifname: 'br9', link_type: 'ether', address: '52:54:00:00:00:09', flags: ['UP'], linkinfo: { info_kind: 'bridge' } },
    { ifname: 'br8', link_type: 'ether', flags: [] },
  ]);
  const addr = JSON.stringify([
    {
      ifname: 'br9',
      addr_info: [
        { family: 'inet', local: '10.0.0.5', prefixlen: 24, scope: 'global', dynamic: true },
        { family: 'inet', local: '10.0.1.5', prefixlen: 24, scope: 'global' },
        { family: 'inet6', local: '2001:db8::5', prefixlen: 64, scope: 'global', dynamic: true },
        { family: 'inet6', local: 'fe80::1', prefixlen: 64, scope: 'link', dynamic: true },
      ],
    },
    { ifname: 'br8', addr_info: [{ family: 'inet', local: '10.0.2.5', prefixlen: 24, scope: 'global' }] },
  ]);
  const [br9, br8] = parseLinks(link, addr, []);
  assert.deepEqual(br9!.addresses, ['10.0.0.5/24', '10.0.1.5/24', '2001:db8::5/64']);
  assert.deepEqual(br9!.dynamicAddresses, ['10.0.0.5/24', '2001:db8::5/64']);
  // None dynamic: the field is absent, so the inventory JSON of a static host does not change.
  assert.ok(!('dynamicAddresses' in br8!));
});
