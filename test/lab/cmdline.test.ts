/**
 * Lab tier: the new-VM command lines of `virtnet vm-cmdline` are real (issue 11):
 *   - every virt-install line, exactly as printed, passes `virt-install --dry-run` on the lab host
 *     (Debian's virtinst 4.1 with the host's libvirt): a network, a bridge, macvtap, user-mode on
 *     SLIRP and on passt with a forward, a PCI device, none;
 *   - every raw QEMU line, with its setup lines (a tap of its own on the bridge), starts a TCG QEMU
 *     on the lab host (stopped with -S) whose monitor shows the NIC with its model and MAC, and the
 *     user-mode forward in `info usernet`; the tap goes again afterwards.
 * The vfio-pci QEMU line is not started here: the lab's only PCI NIC is this machine's own (the
 * SR-IOV lab host is where a device can be given to a guest).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { onLab } from './cli';
import { labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 120_000 };
let host: LabHost;
const MAC = '52:54:00:51:00:01';
const lines = async (format: string, ...nic: string[]) => {
  const r = await onLab(host)('vm-cmdline', ...nic, '--mac', MAC, '--name', 'cmdvm', '--format', format);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim().split('\n');
};

before(
  async () => {
    if (skip) return;
    host = await labUp('cmdl', 51);
    await host.sh('virsh -q net-start default >/dev/null 2>&1 || true; ip link add br9 type bridge && ip link set br9 up');
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (!skip) await host?.down();
  },
  { timeout: 120_000 },
);

const SETUPS: [string, string[]][] = [
  ['network', ['--network', 'default']],
  ['bridge', ['--bridge', 'br9', '--model', 'e1000e']],
  ['macvtap', ['--direct', 'enp3s1', '--mode', 'bridge']],
  ['user (SLIRP)', ['--user']],
  ['passt with a forward', ['--passt', '--forward', '2222:22']],
  ['no NIC', ['--none']],
];

test('every virt-install line passes virt-install --dry-run as printed', opts, async () => {
  const pci = (await host.sh('ls /sys/bus/pci/devices | head -n 1')).trim();
  const all = [...SETUPS, ...(pci ? ([['a PCI device', ['--pci', pci]]] as [string, string[]][]) : [])];
  for (const [what, nic] of all) {
    const [line] = await lines('virt-install', ...nic);
    assert.match(line!, /^virt-install /);
    const r = await host.exec(['sh', '-c', `${line} --dry-run`]);
    assert.equal(r.code, 0, `${what}: ${line}\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout + r.stderr, /Dry run completed successfully/, what);
  }
  const passt = (await lines('virt-install', '--passt', '--forward', '2222:22'))[0]!;
  const xml = await host.exec(['sh', '-c', `${passt} --print-xml`]);
  assert.match(xml.stdout, /<backend type="passt"\/>\s*<portForward proto="tcp">\s*<range start="2222" to="22"\/>/, xml.stdout);
});

/** Runs a QEMU line stopped (-S), asks its monitor, and quits; the monitor's answer. */
async function monitor(line: string, ask: string): Promise<string> {
  const r = await host.exec(['sh', '-c', `(sleep 4; printf '\\001c${ask}\\nquit\\n') | timeout 60 ${line} -S`]);
  return (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
}

test('every raw QEMU line starts with the NIC present (its tap made first, and gone after)', opts, async () => {
  for (const [what, nic, model] of [
    ['bridge', ['--bridge', 'br9', '--model', 'e1000e'], 'e1000e'],
    ['network', ['--network', 'default'], 'virtio-net-pci'],
    ['user', ['--user', '--forward', '2222:22', '--model', 'rtl8139'], 'rtl8139'],
  ] as const) {
    const out = await lines('qemu', ...nic);
    const qemu = out.at(-1)!;
    for (const setup of out.slice(0, -1)) assert.equal((await host.exec(['sh', '-c', setup])).code, 0, `${what}: ${setup}`);
    try {
      const seen = await monitor(qemu, what === 'user' ? 'info network\\ninfo usernet' : 'info network');
      assert.match(seen, new RegExp(`model=${model},macaddr=${MAC}`), `${what}: ${qemu}\n${seen}`);
      if (what === 'user') assert.match(seen, /TCP\[HOST_FORWARD\]\s+\d+\s+\*\s+2222\s+10\.0\.2\.15\s+22\b/, seen);
      else assert.match(seen, /n0: index=0,type=tap,ifname=vn-cmdvm/, seen);
    } finally {
      await host.exec(['ip', 'link', 'del', 'vn-cmdvm']);
    }
  }
  assert.equal((await host.exec(['ip', 'link', 'show', 'vn-cmdvm'])).code === 0, false, 'no tap left');
});

test('refused: hostile names; said: what the host lacks', opts, async () => {
  const bad = await onLab(host)('vm-cmdline', '--bridge', 'br9,script=/tmp/x');
  assert.equal(bad.code, 2);
  const missing = await onLab(host)('vm-cmdline', '--bridge', 'br77');
  assert.equal(missing.code, 0);
  assert.match(missing.stderr, /on vnl-cmdl now: vnl-cmdl has no bridge br77/);
});
