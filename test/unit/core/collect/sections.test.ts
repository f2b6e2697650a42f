/**
 * The collector's framing: sections by nonce, and virsh's parts. virsh's `echo` prints no
 * newline, so an empty list puts two part markers back to back; the part after it must still be
 * read (it used to be swallowed: on a host where no network autostarts, every network read as
 * not persistent).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';
import { parseParts } from '../../../../src/core/collect/sections';

test('two part markers back to back: the empty part is empty and the next one keeps its list', () => {
  const n = 'abc123';
  const text = `@@${n}-part nets-autostart@@@@${n}-part nets-persistent@@0f3c8b0e-1111-2222-3333-444455556666\n@@${n}-part doms-all@@@@${n}-part doms-persistent@@@@${n}-part end@@`;
  assert.deepEqual(parseParts(text, n), [
    { name: 'nets-autostart', key: null, text: '' },
    { name: 'nets-persistent', key: null, text: '0f3c8b0e-1111-2222-3333-444455556666' },
    { name: 'doms-all', key: null, text: '' },
    { name: 'doms-persistent', key: null, text: '' },
  ]);
  assert.deepEqual(parseParts(`@@${n}-part net-xml 0f3c8b0e-1111-2222-3333-444455556666@@<network/>@@${n}-part end@@`, n), [
    { name: 'net-xml', key: '0f3c8b0e-1111-2222-3333-444455556666', text: '<network/>' },
  ]);
});

test('a real host where no network autostarts: its default network is still persistent (bare.out)', () => {
  // bare.out: a lab host as `labhost.sh up` leaves it; libvirt's packaged `default` network is
  // defined but neither started nor set to autostart (test/fixtures/collector/README.md).
  const out = readFileSync(new URL('../../../fixtures/collector/bare.out', import.meta.url), 'utf8');
  assert.match(out, /-part nets-autostart@@@@f1x7u2e0n0ce-part nets-persistent@@/, 'the fixture has the empty list');
  const model = buildHostModel({ host: 'vnl-b', output: out, nonce: 'f1x7u2e0n0ce', asRoot: null });
  const net = model.networks.find((x) => x.name === 'default');
  assert.deepEqual([net?.active, net?.autostart, net?.persistent], [false, false, true]);
});
