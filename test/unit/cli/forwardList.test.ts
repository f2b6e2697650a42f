/** `virtnet forward list`: VirtNet's forwards, passt's and hand-written ones, from the 11.3 corpus and a seed host. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listForwards } from '../../../src/cli/forwardList';
import { corpus113Model, seedModel } from '../fixtures';

test("passt's forwards of the corpus's d-user, excluded ranges left out", () => {
  assert.deepEqual(listForwards(corpus113Model()), [
    { kind: 'passt', vm: 'd-user', proto: 'tcp', host: '127.0.0.1:2022', guest: ':22' },
    { kind: 'passt', vm: 'd-user', proto: 'udp', host: 'dev enp3s1:5353', guest: ':53' },
  ]);
});

test("VirtNet's first, then a rule written by hand, tied to the VM holding its address", () => {
  const seed = seedModel();
  const ip = seed.domains.find((d) => d.name === 'c7')!.interfaces[0]!.ips[0]!;
  const model = {
    ...seed,
    forwards: [
      {
        proto: 'tcp' as const,
        hostPort: 19922,
        guestIp: ip,
        guestPort: 22,
        bridge: 'virbr0',
        hostAddress: null,
        fromHost: false,
        hairpin: null,
        vm: 'c7',
        mac: '52:54:00:c7:00:01',
      },
    ],
    handForwards: [{ proto: 'udp' as const, hostPort: 5353, hostAddress: '10.231.1.2', inInterface: null, guestIp: ip, guestPort: 53, rule: '', position: 1 }],
  };
  assert.deepEqual(listForwards(model), [
    { kind: 'virtnet', vm: 'c7', proto: 'tcp', host: '*:19922', guest: `${ip}:22`, amiss: [] },
    { kind: 'hand', vm: 'c7', proto: 'udp', host: '10.231.1.2:5353', guest: `${ip}:53` },
  ]);
  // The check's lines: a forward's own, and those of every forward (a missing jump).
  const amiss = listForwards({ ...model, forwardsAmiss: ['FORWARD does not jump to VIRTNET_FWD first', 'tcp 19922: no DNAT', 'tcp 2222: no DNAT'] });
  assert.deepEqual(amiss[0]!.amiss, ['FORWARD does not jump to VIRTNET_FWD first', 'tcp 19922: no DNAT']);
});
