import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { shJoin } from '../../../../../src/core/exec/quote';
import { planCreateBridge } from '../../../../../src/core/ops/bridge';
import { plan, PlanInputError, planToScript } from '../../../../../src/core/ops/plan';
import { persistSteps, withPersistence, type PersistResult } from '../../../../../src/core/ops/persist';
import { removeFileSteps, writeFileSteps } from '../../../../../src/core/ops/persist/files';
import { base, cases, hostWith, hosts, mac, now, ts } from './fixture';

const contents = (r: PersistResult) => Object.fromEntries(r.files.map((f) => [f.path, f.contents]));

test('networkd: .netdev, bridge .network and one .network per port, exact contents', () => {
  const r = persistSteps(hosts.networkd, cases.static, 'networkd', { now });
  assert.deepEqual(contents(r), {
    '/etc/systemd/network/05-virtnet-br9.netdev': `# Written by VirtNet: bridge br9 with enp3s1\n[NetDev]\nName=br9\nKind=bridge\nMACAddress=${mac}\n\n[Bridge]\nSTP=yes\nForwardDelaySec=4\n`,
    '/etc/systemd/network/05-virtnet-br9.network':
      '# Written by VirtNet: bridge br9 with enp3s1\n[Match]\nName=br9\n\n[Network]\nAddress=10.231.2.2/24\nGateway=10.231.2.1\nConfigureWithoutCarrier=yes\n',
    '/etc/systemd/network/05-virtnet-br9-enp3s1.network': '# Written by VirtNet: port enp3s1 of bridge br9\n[Match]\nName=enp3s1\n\n[Network]\nBridge=br9\n',
  });
  assert.ok(r.files.every((f) => f.mode === '644'));
  // networkd runs on this host, so it re-reads its files; that step is on the session's path.
  const last = r.steps.at(-1)!;
  assert.deepEqual(last.argv, ['networkctl', 'reload']);
  assert.equal(last.touchesConnection, true);
  assert.ok(r.steps.every((s) => ['file', 'config', 'check'].includes(s.kind)));

  const d = persistSteps(hosts.networkd, cases.dhcp, 'networkd', { now });
  assert.equal(
    contents(d)['/etc/systemd/network/05-virtnet-br9.network'],
    '# Written by VirtNet: bridge br9 with enp3s1\n[Match]\nName=br9\n\n[Network]\nDHCP=ipv4\nConfigureWithoutCarrier=yes\n',
  );
  assert.match(contents(d)['/etc/systemd/network/05-virtnet-br9.netdev']!, /STP=no\n$/);

  const p = persistSteps(hosts.networkd, cases.plain, 'networkd', { now });
  assert.deepEqual(contents(p), {
    '/etc/systemd/network/05-virtnet-br7.netdev': '# Written by VirtNet: bridge br7\n[NetDev]\nName=br7\nKind=bridge\n\n[Bridge]\nSTP=no\n',
    '/etc/systemd/network/05-virtnet-br7.network': '# Written by VirtNet: bridge br7\n[Match]\nName=br7\n\n[Network]\nConfigureWithoutCarrier=yes\n',
  });
});

test('networkd not running: no reload, a note that the files apply at boot', () => {
  const r = persistSteps(hostWith('none'), cases.plain, 'networkd', { now });
  assert.ok(!r.steps.some((s) => s.argv[0] === 'networkctl'));
  assert.match(r.warnings.join('\n'), /not running.*next boot/);
});

test('ifupdown: one interfaces.d file with bridge_* options and manual ports, exact contents', () => {
  const r = persistSteps(hosts.ifupdown, cases.static, 'ifupdown', { now });
  assert.deepEqual(contents(r), {
    '/etc/network/interfaces.d/virtnet-br9': `# Written by VirtNet: bridge br9 with enp3s1\nauto br9\niface br9 inet static\n    bridge_ports enp3s1\n    bridge_stp on\n    bridge_fd 4\n    hwaddress ${mac}\n    address 10.231.2.2/24\n    gateway 10.231.2.1\n\niface enp3s1 inet manual\n`,
  });
  // The check is read-only and runs before anything; the backup is hidden from `source interfaces.d/*`.
  assert.deepEqual(
    r.checks.map((s) => s.argv.slice(3)),
    [['virtnet-check', '/etc/network/interfaces.d/virtnet-br9', 'br9', 'enp3s1']],
  );
  assert.equal(r.steps[0]!.argv.at(-1), `/etc/network/interfaces.d/.virtnet-br9.virtnet-bak-${ts}`);
  assert.doesNotMatch(r.warnings.join('\n'), /bridge-utils/);

  const d = persistSteps(hosts.ifupdown, cases.dhcp, 'ifupdown', { now });
  assert.equal(
    contents(d)['/etc/network/interfaces.d/virtnet-br9'],
    `# Written by VirtNet: bridge br9 with enp3s1\nauto br9\niface br9 inet dhcp\n    bridge_ports enp3s1\n    bridge_stp off\n    hwaddress ${mac}\n\niface enp3s1 inet manual\n`,
  );
  const p = persistSteps(hosts.ifupdown, cases.plain, 'ifupdown', { now });
  assert.equal(
    contents(p)['/etc/network/interfaces.d/virtnet-br7'],
    '# Written by VirtNet: bridge br7\nauto br7\niface br7 inet manual\n    bridge_ports none\n    bridge_stp off\n',
  );

  // Without bridge-utils the bridge_* options are dead letters: say so.
  const w = persistSteps(hostWith('ifupdown', { ifup: true, brctl: false }), cases.plain, 'ifupdown', { now });
  assert.match(w.warnings.join('\n'), /bridge-utils is not installed/);
});

test('netplan: one YAML file, mode 600, then netplan generate (not apply)', () => {
  const r = persistSteps(hosts.netplan, cases.static, 'netplan', { now });
  assert.deepEqual(r.files, [
    {
      path: '/etc/netplan/60-virtnet-br9.yaml',
      mode: '600',
      contents: `# Written by VirtNet: bridge br9 with enp3s1\nnetwork:\n  version: 2\n  ethernets:\n    "enp3s1":\n      dhcp4: false\n  bridges:\n    "br9":\n      interfaces: ["enp3s1"]\n      macaddress: "${mac}"\n      parameters:\n        stp: true\n        forward-delay: 4\n      addresses: ["10.231.2.2/24"]\n      routes:\n        - to: default\n          via: "10.231.2.1"\n`,
    },
  ]);
  assert.deepEqual(r.steps.at(-1)!.argv, ['netplan', 'generate']);
  assert.ok(!r.steps.some((s) => s.argv.includes('apply')));

  const d = persistSteps(hosts.netplan, cases.dhcp, 'netplan', { now });
  assert.equal(
    d.files[0]!.contents,
    `# Written by VirtNet: bridge br9 with enp3s1\nnetwork:\n  version: 2\n  ethernets:\n    "enp3s1":\n      dhcp4: false\n  bridges:\n    "br9":\n      interfaces: ["enp3s1"]\n      macaddress: "${mac}"\n      parameters:\n        stp: false\n      dhcp4: true\n`,
  );
  const p = persistSteps(hosts.netplan, cases.plain, 'netplan', { now });
  assert.equal(
    p.files[0]!.contents,
    '# Written by VirtNet: bridge br7\nnetwork:\n  version: 2\n  bridges:\n    "br7":\n      interfaces: []\n      parameters:\n        stp: false\n      dhcp4: false\n',
  );
});

test('NetworkManager: nmcli profiles with fixed UUIDs; undo deletes exactly those', () => {
  const r = persistSteps(hosts.networkmanager, cases.static, 'networkmanager', { now });
  assert.deepEqual(r.files, []);
  const adds = r.steps.filter((s) => s.argv[0] === 'nmcli');
  const [bu, pu] = adds.map((s) => s.argv[6]!);
  assert.deepEqual(
    adds.map((s) => s.argv),
    [
      [
        'nmcli',
        'connection',
        'add',
        'con-name',
        'virtnet-br9',
        'connection.uuid',
        bu,
        'type',
        'bridge',
        'ifname',
        'br9',
        'bridge.stp',
        'yes',
        'bridge.forward-delay',
        '4',
        'bridge.mac-address',
        mac,
        'ipv4.method',
        'manual',
        'ipv4.addresses',
        '10.231.2.2/24',
        'ipv4.gateway',
        '10.231.2.1',
      ],
      [
        'nmcli',
        'connection',
        'add',
        'con-name',
        'virtnet-br9-enp3s1',
        'connection.uuid',
        pu,
        'type',
        'ethernet',
        'ifname',
        'enp3s1',
        'connection.master',
        'br9',
        'connection.slave-type',
        'bridge',
        'connection.autoconnect-priority',
        '10',
      ],
    ],
  );
  assert.deepEqual(
    adds.map((s) => s.undo),
    [
      ['nmcli', 'connection', 'delete', 'uuid', bu],
      ['nmcli', 'connection', 'delete', 'uuid', pu],
    ],
  );
  assert.match(bu!, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.notEqual(bu, pu);
  // Same input, same plan: the preview and the apply agree.
  assert.deepEqual(persistSteps(hosts.networkmanager, cases.static, 'networkmanager', { now }).steps, r.steps);

  const d = persistSteps(hosts.networkmanager, cases.dhcp, 'networkmanager', { now });
  assert.deepEqual(d.steps[0]!.argv.slice(7), ['type', 'bridge', 'ifname', 'br9', 'bridge.stp', 'no', 'bridge.mac-address', mac, 'ipv4.method', 'auto']);
  const p = persistSteps(hosts.networkmanager, cases.plain, 'networkmanager', { now });
  assert.deepEqual(p.steps[0]!.argv.slice(7), ['type', 'bridge', 'ifname', 'br7', 'bridge.stp', 'no', 'ipv4.method', 'disabled', 'ipv6.method', 'ignore']);
  // Before anything runs: no profile of those names, and no foreign profile for the bridge.
  assert.deepEqual(
    r.checks.map((s) => s.argv[3]),
    ['virtnet-check', 'virtnet-check-nm'],
  );
  assert.deepEqual(r.checks[1]!.argv.slice(4), ['br9']);
});

test('delete-bridge and tap intents', () => {
  const del = persistSteps(hosts.networkd, { kind: 'delete-bridge', bridge: 'br9', ports: ['enp3s1'] }, 'networkd', { now });
  assert.deepEqual(del.removes, [
    '/etc/systemd/network/05-virtnet-br9.netdev',
    '/etc/systemd/network/05-virtnet-br9.network',
    '/etc/systemd/network/05-virtnet-br9-enp3s1.network',
  ]);
  assert.deepEqual(del.files, []);
  const tap = persistSteps(hosts.networkd, { kind: 'tap', name: 'vnet7', bridge: 'br9' }, 'networkd', { now });
  assert.equal(
    contents(tap)['/etc/systemd/network/05-virtnet-vnet7.network'],
    '# Written by VirtNet: tap vnet7 on br9\n[Match]\nName=vnet7\n\n[Network]\nBridge=br9\nConfigureWithoutCarrier=yes\n',
  );
  const itap = persistSteps(hosts.ifupdown, { kind: 'tap', name: 'vnet7', bridge: 'br9' }, 'ifupdown', { now });
  assert.equal(
    itap.files[0]!.contents,
    '# Written by VirtNet: tap vnet7 on br9\nauto vnet7\niface vnet7 inet manual\n    pre-up ip tuntap add dev vnet7 mode tap\n    up ip link set dev vnet7 master br9\n    post-down ip tuntap del dev vnet7 mode tap\n',
  );
  assert.throws(() => persistSteps(hosts.netplan, { kind: 'tap', name: 'vnet7' }, 'netplan', { now }), /netplan has no tap devices/);
  const nmdel = persistSteps(hosts.networkmanager, { kind: 'delete-bridge', bridge: 'br9', ports: ['enp3s1'] }, 'networkmanager', { now });
  // Each profile's file is saved first, so the delete has an undo that puts it back.
  assert.deepEqual(
    nmdel.steps.map((s) => s.argv.slice(3)),
    [
      ['virtnet-nm-save', 'virtnet-br9', `/var/lib/virtnet/nm-backup/virtnet-br9.${ts}`],
      ['virtnet-nm-delete', 'virtnet-br9'],
      ['virtnet-nm-save', 'virtnet-br9-enp3s1', `/var/lib/virtnet/nm-backup/virtnet-br9-enp3s1.${ts}`],
      ['virtnet-nm-delete', 'virtnet-br9-enp3s1'],
    ],
  );
  assert.deepEqual(nmdel.steps[1]!.undo!.slice(3), ['virtnet-nm-restore', `/var/lib/virtnet/nm-backup/virtnet-br9.${ts}`, '']);
  assert.doesNotMatch(nmdel.warnings.join('\n'), /cannot be undone/);
});

test('refusals: every reason at once, hostile names never planned', () => {
  const err = (fn: () => unknown): string[] => {
    try {
      fn();
    } catch (e) {
      assert.ok(e instanceof PlanInputError);
      return e.problems;
    }
    assert.fail('not refused');
  };
  const probs = err(() =>
    persistSteps(
      hosts.networkd,
      { kind: 'bridge', bridge: 'br0;reboot', stp: false, ports: ['$(id)', 'eth*'], addresses: ['10.0.0.1'], gateway: 'x', dhcp: true },
      'networkd',
      { now },
    ),
  );
  assert.equal(probs.length, 5, probs.join('\n'));
  assert.match(probs.join('\n'), /br0;reboot.*letters, digits/);
  assert.match(probs.join('\n'), /"\$\(id\)"/);
  assert.match(probs.join('\n'), /eth\*/);
  assert.match(probs.join('\n'), /no prefix length/);
  // Another manager in charge, or its tool missing: refused with the way out.
  assert.deepEqual(
    err(() => persistSteps(hostWith('networkd', { netplan: false }), cases.plain, 'netplan', { now })),
    [
      'netplan is not installed on vnl-b (no netplan); its configuration would never be read',
      "vnl-b's network is managed by systemd-networkd, not netplan: use --persist networkd",
    ],
  );
  assert.match(err(() => persistSteps(hostWith('none', { nmcli: true }), cases.plain, 'networkmanager', { now })).join('\n'), /needs a running NetworkManager/);
  assert.match(err(() => persistSteps(hosts.networkd, cases.plain, 'bogus' as 'none')).join('\n'), /not a persistence backend/);
  // "none" plans nothing but says the change will not survive.
  const none = persistSteps(base, cases.static, 'none');
  assert.deepEqual(none.steps, []);
  assert.match(none.warnings[0]!, /lost at the next reboot/);
});

test('withPersistence: read-only checks first, then the runtime plan, then the writes', () => {
  const model = hostWith('networkd');
  const plan = withPersistence(planCreateBridge(model, { name: 'br7', stp: false }), persistSteps(model, cases.plain, 'networkd', { now }));
  assert.equal(plan.title, 'Create bridge br7, persisted with systemd-networkd');
  assert.deepEqual(
    plan.steps.map((s) => (s.argv[0] === 'sh' ? s.argv[3] : s.argv[0])),
    ['virtnet-check-networkd', 'ip', 'ip', 'virtnet-backup', 'virtnet-write', 'virtnet-backup', 'virtnet-write', 'networkctl'],
  );
  assert.equal(plan.steps[0]!.undo, null);
});

// The write steps through a real sh: hostile bytes in contents and paths arrive exactly.
test('write/backup/restore steps run through sh byte-exact, and undo restores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'virtnet-persist-'));
  try {
    const path = join(dir, `it's "$(touch pwned)" \`id\` $HOME;x`);
    const hostile = `line1\n'$(touch ${join(dir, 'pwned2')})'\n"\\n%s%d\\\`\n$HOME\t\u00e9\n-n\n`;
    writeFileSync(path, 'old contents\n');
    chmodSync(path, 0o640);
    const bak = `${path}.virtnet-bak-${ts}`;
    const steps = writeFileSteps({ path, contents: hostile, mode: '600' }, bak);
    const script = planToScript(plan('w', steps));
    execFileSync('sh', ['-c', script]);
    assert.equal(readFileSync(path, 'utf8'), hostile);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(readFileSync(bak, 'utf8'), 'old contents\n');
    assert.equal(statSync(bak).mode & 0o777, 0o640);
    assert.ok(!existsSync(join(dir, 'pwned')) && !existsSync(join(dir, 'pwned2')));
    // Undo in reverse: the old file comes back with its mode, the backup goes.
    for (const s of [...steps].reverse()) execFileSync('sh', ['-c', shJoin(s.undo!)]);
    assert.equal(readFileSync(path, 'utf8'), 'old contents\n');
    assert.equal(statSync(path).mode & 0o777, 0o640);
    assert.ok(!existsSync(bak));

    // No earlier file: undo removes what was written.
    const fresh = join(dir, 'fresh');
    const s2 = writeFileSteps({ path: fresh, contents: 'x', mode: '644' }, `${fresh}.bak`);
    for (const s of s2) execFileSync('sh', ['-c', shJoin(s.argv)]);
    assert.equal(statSync(fresh).mode & 0o777, 0o644);
    for (const s of [...s2].reverse()) execFileSync('sh', ['-c', shJoin(s.undo!)]);
    assert.ok(!existsSync(fresh) && !existsSync(`${fresh}.bak`));

    // Remove, then undo: the file is back.
    writeFileSync(fresh, 'keep me');
    const s3 = removeFileSteps(fresh, `${fresh}.bak`);
    for (const s of s3) execFileSync('sh', ['-c', shJoin(s.argv)]);
    assert.ok(!existsSync(fresh));
    for (const s of [...s3].reverse()) execFileSync('sh', ['-c', shJoin(s.undo!)]);
    assert.equal(readFileSync(fresh, 'utf8'), 'keep me');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
