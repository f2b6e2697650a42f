/**
 * Lab tier: addresses on a bridge (the guide's `ip addr` on br9), and clearing the address that
 * carries the session, which the guard must roll back.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { onLab } from './cli';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 120_000 };
let host: LabHost;
const cli = (...args: string[]) => onLab(host, '--yes')(...args);

before(
  async () => {
    if (skip) return;
    host = await labUp('addr', 18, { libvirt: false });
    // Strict reverse-path filtering, as in guard.test.ts, so losing the address really cuts us off.
    await host.exec(['sysctl', '-q', '-w', 'net.ipv4.conf.all.rp_filter=1']);
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

async function addrs(ifname: string): Promise<string[]> {
  const j = JSON.parse((await host.exec(['ip', '-j', 'addr', 'show', 'dev', ifname])).stdout) as {
    addr_info: { local: string; prefixlen: number; scope: string }[];
  }[];
  return (j[0]?.addr_info ?? [])
    .filter((a) => a.scope !== 'link')
    .map((a) => `${a.local}/${a.prefixlen}`)
    .sort();
}

test('add, remove and clear addresses on a bridge', opts, async () => {
  assert.equal((await cli('bridge', 'create', 'br14')).code, 0);
  let r = await cli('bridge', 'address', 'br14', '--add', '10.240.14.1/24', '--add', 'fd00:14::1/64');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await addrs('br14'), ['10.240.14.1/24', 'fd00:14::1/64']);
  r = await cli('bridge', 'address', 'br14', '--del', 'fd00:14::1/64');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await addrs('br14'), ['10.240.14.1/24']);
  // Refused, nothing runs: an address it does not have, a malformed one, nothing to do.
  for (const args of [['--del', '10.9.9.9/24'], ['--add', '10.240.14.300/24'], []]) {
    const bad = await cli('bridge', 'address', 'br14', ...args);
    assert.equal(bad.code, 2, `${args.join(' ')}: ${bad.stderr}`);
  }
  r = await cli('bridge', 'address', 'br14', '--clear');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(await addrs('br14'), []);
  assert.equal((await cli('bridge', 'delete', 'br14')).code, 0);
});

test('clearing the address the session arrives on: guarded, rolled back with its route, exit 3', opts, async () => {
  const before = (await host.exec(['sh', '-c', 'ip -br addr; ip route'])).stdout;
  const r = await cli('bridge', 'address', 'enp3s1', '--clear', '--rollback-seconds', '8');
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stdout, /ip route del default via 10\.231\.18\.1 dev enp3s1/);
  assert.equal((await host.exec(['sh', '-c', 'ip -br addr; ip route'])).stdout, before, 'address and default route are back');
});
