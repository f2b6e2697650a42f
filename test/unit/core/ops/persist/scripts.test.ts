/**
 * The shell the persistence steps run, run for real: NetworkManager's save / modify-or-add /
 * delete and their undo against a tiny fake nmcli (a connection store in a temp dir; the real
 * nmcli needs a daemon), and the conflict checks against fake config trees bind-mounted over
 * /etc in a throwaway mount namespace (root only; nothing outside the namespace sees them).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { shJoin } from '../../../../../src/core/exec/quote';
import type { Step } from '../../../../../src/core/ops/plan';
import { persistIntentFor, persistSteps } from '../../../../../src/core/ops/persist';
import { CONFLICT_SCRIPTS } from '../../../../../src/core/ops/persist/conflicts';
import { NM_BACKUP_DIR } from '../../../../../src/core/ops/persist/networkmanager';
import { now, seedHosts } from './fixture';

// Keeps one file per connection: id=, uuid=, interface-name=, then a line per add/modify.
const FAKE_NMCLI = `#!/bin/sh
S=$NMSTORE; printf '%s\\n' "$*" >> "$S/log"
case "$*" in
  "-g NAME,FILENAME connection show") for f in "$S"/conns/*; do [ -e "$f" ] && printf '%s:%s\\n' "$(sed -n 's/^id=//p' "$f")" "$f"; done; exit 0 ;;
  "-g UUID connection show") for f in "$S"/conns/*; do [ -e "$f" ] && sed -n 's/^uuid=//p' "$f"; done; exit 0 ;;
  "connection show id "*) [ -e "$S/conns/$4" ] ;;
  "-g connection.id,connection.interface-name connection show uuid "*) f=$(grep -l "^uuid=$6\\$" "$S"/conns/*) && sed -n 's/^id=//p; s/^interface-name=//p' "$f" ;;
  "connection modify id "*) n=$4; shift 4; printf 'modified %s\\n' "$*" >> "$S/conns/$n" ;;
  "connection add con-name "*) n=$4; u=$6; shift 6; printf 'id=%s\\nuuid=%s\\nadded %s\\n' "$n" "$u" "$*" > "$S/conns/$n" ;;
  "connection delete id "*) rm "$S/conns/$4" ;;
  "connection delete uuid "*) f=$(grep -l "^uuid=$4\\$" "$S"/conns/*) && rm "$f" ;;
  "connection load "*) [ -e "$3" ] ;;
  *) echo "fake nmcli: $*" >&2; exit 2 ;;
esac
`;

function withFakeNm(fn: (store: string, run: (argv: string[]) => { status: number | null; stderr: string }) => void): void {
  const dir = mkdtempSync(join(tmpdir(), 'virtnet-nm-'));
  try {
    mkdirSync(join(dir, 'bin'));
    mkdirSync(join(dir, 'conns'));
    writeFileSync(join(dir, 'bin/nmcli'), FAKE_NMCLI);
    chmodSync(join(dir, 'bin/nmcli'), 0o755);
    // The plan's backup dir is absolute; here it lives in the temp dir.
    const local = (argv: string[]) => argv.map((w) => w.replace(NM_BACKUP_DIR, join(dir, 'bak')));
    const run = (argv: string[]) =>
      spawnSync('sh', ['-c', shJoin(local(argv))], { encoding: 'utf8', env: { ...process.env, PATH: `${dir}/bin:${process.env.PATH}`, NMSTORE: dir } });
    fn(dir, run);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the steps, then their undos newest first, as the applier does after a failure. */
function doThenUndo(steps: Step[], run: (argv: string[]) => { status: number | null; stderr: string }, between: () => void): void {
  for (const s of steps) assert.equal(run(s.argv).status, 0, `${s.why}: ${run(s.argv).stderr}`);
  between();
  for (const s of [...steps].reverse()) if (s.undo) assert.equal(run(s.undo).status, 0, `undo of ${s.why}`);
}

test('NetworkManager edit: an existing profile is saved, modified in place, and restored by undo', () => {
  withFakeNm((store, run) => {
    const old = 'id=virtnet-br9\nuuid=11111111-2222-5333-8444-555555555555\ninterface-name=br9\nadded type bridge bridge.stp no\n';
    writeFileSync(join(store, 'conns/virtnet-br9'), old);
    const r = persistSteps(
      seedHosts.networkmanager,
      persistIntentFor(seedHosts.networkmanager, { op: 'remove-port', bridge: 'br9', port: 'enp3s1' }),
      'networkmanager',
      { now },
    );
    writeFileSync(join(store, 'conns/virtnet-br9-enp3s1'), 'id=virtnet-br9-enp3s1\nuuid=99999999-2222-5333-8444-555555555555\ninterface-name=enp3s1\n');
    doThenUndo(r.steps, run, () => {
      const br = readFileSync(join(store, 'conns/virtnet-br9'), 'utf8');
      // Modified, not replaced: the old UUID stays, the new state is appended.
      assert.ok(br.startsWith(old));
      assert.match(br, /^modified connection\.interface-name br9 bridge\.stp yes .*ipv4\.addresses 10\.231\.1\.2\/24 ipv4\.gateway 10\.231\.1\.1 /m);
      // vnet0 had no profile: added with the plan's UUID.
      assert.match(
        readFileSync(join(store, 'conns/virtnet-br9-vnet0'), 'utf8'),
        /^added type tun connection\.interface-name vnet0 tun\.mode tap connection\.master br9/m,
      );
      // The dropped port's profile is gone, its file saved.
      assert.ok(!existsSync(join(store, 'conns/virtnet-br9-enp3s1')));
      assert.deepEqual(readdirSync(join(store, 'bak')).sort(), [
        'virtnet-br9-enp3s1.20240501T101500Z',
        'virtnet-br9-enp3s1.20240501T101500Z.path',
        'virtnet-br9.20240501T101500Z',
        'virtnet-br9.20240501T101500Z.path',
      ]);
    });
    // Undo: the old files are back and reloaded, the added profile deleted, the backups gone.
    assert.equal(readFileSync(join(store, 'conns/virtnet-br9'), 'utf8'), old);
    assert.ok(existsSync(join(store, 'conns/virtnet-br9-enp3s1')));
    assert.ok(!existsSync(join(store, 'conns/virtnet-br9-vnet0')));
    assert.deepEqual(readdirSync(join(store, 'bak')), []);
    const log = readFileSync(join(store, 'log'), 'utf8');
    assert.match(log, new RegExp(`^connection load ${store}/conns/virtnet-br9$`, 'm'));
    assert.match(log, /^connection delete uuid [0-9a-f-]{36}$/m);
  });
});

test('NetworkManager delete-bridge: profiles deleted, and undo brings them back; a missing one is no failure', () => {
  withFakeNm((store, run) => {
    writeFileSync(join(store, 'conns/virtnet-br9'), 'id=virtnet-br9\nuuid=11111111-2222-5333-8444-555555555555\ninterface-name=br9\n');
    const r = persistSteps(seedHosts.networkmanager, persistIntentFor(seedHosts.networkmanager, { op: 'delete-bridge', bridge: 'br9' }), 'networkmanager', {
      now,
    });
    doThenUndo(r.steps, run, () => assert.deepEqual(readdirSync(join(store, 'conns')), []));
    assert.deepEqual(readdirSync(join(store, 'conns')), ['virtnet-br9']);
  });
});

test("NetworkManager conflict check: a foreign profile for the bridge stops the plan, VirtNet's own does not", () => {
  withFakeNm((store, run) => {
    writeFileSync(join(store, 'conns/virtnet-br9'), 'id=virtnet-br9\nuuid=11111111-2222-5333-8444-555555555555\ninterface-name=br9\n');
    writeFileSync(join(store, 'conns/eth'), 'id=Wired connection 1\nuuid=22222222-2222-5333-8444-555555555555\ninterface-name=enp3s1\n');
    const argv = ['sh', '-c', CONFLICT_SCRIPTS.nm, 'virtnet-check-nm', 'br9'];
    assert.equal(run(argv).status, 0, run(argv).stderr);
    writeFileSync(join(store, 'conns/other'), 'id=bridge-br0\nuuid=33333333-2222-5333-8444-555555555555\ninterface-name=br9\n');
    const r = run(argv);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /the NetworkManager connection "bridge-br0" \(33333333-2222-5333-8444-555555555555\) already configures br9/);
  });
});

const nsOk = process.getuid?.() === 0 && spawnSync('unshare', ['-m', 'true']).status === 0;

/** Runs `script` with fake trees mounted over the real dirs, inside a private mount namespace. */
function inFakeRoot(mounts: Record<string, Record<string, string>>, argv: string[]): { status: number | null; stderr: string } {
  const dir = mkdtempSync(join(tmpdir(), 'virtnet-conf-'));
  try {
    const binds: string[] = [];
    for (const [target, files] of Object.entries(mounts)) {
      const src = join(dir, target.replace(/\//g, '_'));
      mkdirSync(src);
      for (const [name, text] of Object.entries(files)) writeFileSync(join(src, name), text);
      binds.push(src, target);
    }
    const setup = 'while [ $# -gt 0 ] && [ "$1" != -- ]; do if [ -d "$2" ]; then mount --bind "$1" "$2" || exit 9; fi; shift 2; done; shift; exec "$@"';
    return spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', setup, 'virtnet-fake-root', ...binds, '--', ...argv], { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test(
  'networkd conflict check: a foreign .netdev, or a .network that sorts first, is named; later or own files pass',
  { skip: nsOk ? false : 'needs root and unshare -m' },
  () => {
    const empty = { '/run/systemd/network': {}, '/usr/lib/systemd/network': {}, '/usr/local/lib/systemd/network': {} };
    const check = (files: Record<string, string>) =>
      inFakeRoot({ '/etc/systemd/network': files, ...empty }, [
        'sh',
        '-c',
        CONFLICT_SCRIPTS.networkd,
        'virtnet-check-networkd',
        '05-virtnet-br9',
        'br9',
        'enp3s1',
      ]);
    const own = {
      '05-virtnet-br9.netdev': '[NetDev]\nName=br9\nKind=bridge\n',
      '05-virtnet-br9-enp3s1.network': '[Match]\nName=enp3s1\n[Network]\nBridge=br9\n',
    };
    assert.equal(
      check({ ...own, '20-wired.network': '[Match]\nName=en*\n[Network]\nDHCP=yes\n', '10-br0.netdev': '[NetDev]\nName=br0\nKind=bridge\n' }).status,
      0,
    );
    const dup = check({ ...own, '25-bridge.netdev': '[NetDev]\nName=br9\nKind=bridge\n' });
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /\/etc\/systemd\/network\/25-bridge\.netdev already configures br9 \(Name=br9\)/);
    const early = check({ ...own, '01-uplink.network': '[Match]\nName=eth0 enp*\n\n[Network]\nDHCP=yes\n' });
    assert.equal(early.status, 1);
    assert.match(early.stderr, /01-uplink\.network already configures enp3s1 \(Name=enp\*\)/);
    // Name= outside [Match] (a [Link] or [Network] key) and negated patterns do not count.
    assert.equal(check({ '01-x.network': '[Match]\nName=!enp3s1\n[Link]\nName=br9\n' }).status, 0);
  },
);

test(
  'netplan conflict check: another file defining the bridge is named; ours and look-alike names pass',
  { skip: nsOk ? false : 'needs root and unshare -m' },
  () => {
    const check = (files: Record<string, string>) =>
      inFakeRoot({ '/etc/netplan': files, '/run/netplan': {}, '/usr/lib/netplan': {} }, [
        'sh',
        '-c',
        CONFLICT_SCRIPTS.netplan,
        'virtnet-check-netplan',
        '/etc/netplan/60-virtnet-br9.yaml',
        'br9',
      ]);
    assert.equal(
      check({
        '60-virtnet-br9.yaml': 'network:\n  bridges:\n    "br9":\n      interfaces: []\n',
        '50-cloud-init.yaml': 'network:\n  ethernets:\n    br90:\n      dhcp4: true\n',
      }).status,
      0,
    );
    for (const key of ['br9:', '"br9":', "'br9':  # the lab bridge"]) {
      const r = check({ '01-netcfg.yaml': `network:\n  bridges:\n    ${key}\n      dhcp4: true\n` });
      assert.equal(r.status, 1, key);
      assert.match(r.stderr, /\/etc\/netplan\/01-netcfg\.yaml already defines br9/);
    }
  },
);
