/**
 * Lab tier: bad input and faults, each a clear error (or a degraded picture) within a bounded
 * time: unreachable host, unknown host key, refused key, libvirtd stopped (before and during a
 * run), virsh missing, sudo needing a password.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CommandError } from '../../src/core/exec/errors';
import { SshExecutor } from '../../src/core/exec/ssh';
import type { HostModel } from '../../src/core/model/types';
import { virtnet as cli } from './cli';
import { labSkipReason, labSudoUser, labUp, type LabHost } from './lab';

const run = promisify(execFile);
const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 120_000 };

let host: LabHost;
let work: string;

before(
  async () => {
    if (skip) return;
    host = await labUp('faults', 12);
    work = mkdtempSync(join(tmpdir(), 'virtnet-faults-'));
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (skip) return;
    await host?.down();
    rmSync(work, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

/** The lab host's ssh config block, rewritten under a new alias with extra/overridden options. */
function variantConfig(alias: string, overrides: Record<string, string>): string {
  const text = readFileSync(host.sshConfig, 'utf8');
  const block = text.slice(text.indexOf(`Host ${host.dest}\n`)).split(/\n(?=Host |# END)/)[0] ?? '';
  const lines = block
    .split('\n')
    .slice(1)
    .filter((l) => {
      const key = l.trim().split(/\s+/)[0]?.toLowerCase();
      return key && !Object.keys(overrides).some((k) => k.toLowerCase() === key);
    });
  const file = join(work, `${alias}.config`);
  writeFileSync(
    file,
    `Host ${alias}\n${lines.join('\n')}\n${Object.entries(overrides)
      .map(([k, v]) => `  ${k} ${v}`)
      .join('\n')}\n`,
  );
  return file;
}

function oneLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line on stderr, got:\n${stderr}`);
  return lines[0]!;
}

test('unreachable host: exit 1, one line, well within the connect timeout', opts, async () => {
  // Loopback port 1: nothing listens, so the connection is refused at once.
  const r = await cli(['inventory', '--host', 'ssh://root@127.0.0.1:1', '--timeout', '10']);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /host unreachable: .*Connection refused/);
  assert.ok(r.ms < 10_000, `took ${r.ms} ms`);
});

test('unknown host key: refused, not silently accepted', opts, async () => {
  const emptyKnownHosts = join(work, 'known_hosts.empty');
  writeFileSync(emptyKnownHosts, '');
  const cfg = variantConfig('lab-newkey', { UserKnownHostsFile: emptyKnownHosts, StrictHostKeyChecking: 'yes' });
  const r = await cli(['inventory', '--host', 'lab-newkey', '--ssh-config', cfg]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /SSH host key not trusted/);
  assert.equal(r.stdout, '');
});

test("refused key: authentication error with the server's words", opts, async () => {
  const key = join(work, 'stranger');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const cfg = variantConfig('lab-stranger', { IdentityFile: key, IdentitiesOnly: 'yes' });
  const r = await cli(['inventory', '--host', 'lab-stranger', '--ssh-config', cfg]);
  assert.equal(r.code, 1);
  assert.match(oneLine(r.stderr), /SSH authentication refused: .*Permission denied \(publickey/);
});

test('bad --host and bad options are usage errors (exit 2) and contact nothing', opts, async () => {
  for (const args of [
    ['inventory', '--host=-oProxyCommand=touch /tmp/pwned'],
    ['inventory', '--host', 'a b'],
    ['inventory', '--timeout', 'soon'],
    ['inventory', '--bogus'],
  ]) {
    const r = await cli(args);
    assert.equal(r.code, 2, args.join(' '));
    assert.ok(r.ms < 5000);
  }
});

async function inventory(): Promise<HostModel> {
  const r = await cli(['inventory', '--host', host.dest, '--ssh-config', host.sshConfig, '--json']);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout) as HostModel;
}

test('libvirtd stopped: the rest arrives, libvirt is a failed check with the reason', opts, async () => {
  await host.stopLibvirtd();
  try {
    const m = await inventory();
    const libvirt = m.checks.find((c) => c.id === 'libvirt');
    assert.equal(libvirt?.ok, false);
    assert.match(libvirt?.detail ?? '', /libvirtd is not running/);
    assert.ok(
      m.links.some((l) => l.name === 'enp3s1'),
      'links still read',
    );
    assert.deepEqual(m.networks, []);
  } finally {
    await host.startLibvirtd();
  }
});

test('libvirtd killed in the middle of a run: still a picture, never a crash', opts, async () => {
  const pending = cli(['inventory', '--host', host.dest, '--ssh-config', host.sshConfig, '--json']);
  await new Promise((r) => setTimeout(r, 150));
  await host.stopLibvirtd();
  try {
    const r = await pending;
    assert.equal(r.code, 0, r.stderr);
    const m = JSON.parse(r.stdout) as HostModel;
    assert.ok(m.links.length > 0);
    assert.ok(m.checks.some((c) => c.id === 'libvirt'));
  } finally {
    await host.startLibvirtd();
  }
});

test('virsh missing: a readiness check says to install it', opts, async () => {
  // Only inside the lab host's private mount namespace: a non-executable file over virsh.
  const hide = await host.exec(['mount', '--bind', '/dev/null', '/usr/bin/virsh']);
  assert.equal(hide.code, 0, hide.stderr);
  try {
    const m = await inventory();
    assert.equal(m.checks.find((c) => c.id === 'tool:virsh')?.ok, false);
    assert.match(m.checks.find((c) => c.id === 'libvirt')?.detail ?? '', /virsh is not installed/);
    assert.ok(m.bridges !== undefined && m.links.length > 0);
  } finally {
    await host.exec(['umount', '/usr/bin/virsh']);
  }
});

test('sudo needing a password: asked through the callback, on stdin only, never logged', opts, async () => {
  const user = await labSudoUser(host, { name: 'kvmadmin', uid: 4242, password: 'labpass' });
  const logged: string[] = [];
  const log = { info: (m: string) => logged.push(m), debug: (m: string) => logged.push(m), error: (m: string) => logged.push(m) };
  const dest = user.dest;
  try {
    const noAsk = new SshExecutor(dest, { configFile: host.sshConfig, log });
    await assert.rejects(
      noAsk.run(['id', '-u'], { root: true }),
      (e: unknown) => e instanceof CommandError && e.kind === 'sudo' && /needs a password/.test(e.stderr),
    );
    await noAsk.dispose();

    const wrong = new SshExecutor(dest, { configFile: host.sshConfig, log, askPassword: async () => 'not-the-password' });
    await assert.rejects(wrong.run(['touch', '/tmp/virtnet-should-not-exist'], { root: true }), (e: unknown) => e instanceof CommandError && e.kind === 'sudo');
    await wrong.dispose();
    assert.notEqual((await host.exec(['test', '-e', '/tmp/virtnet-should-not-exist'])).code, 0, 'nothing ran with a wrong password');

    let asked = 0;
    const right = new SshExecutor(dest, { configFile: host.sshConfig, log, askPassword: async () => (asked++, 'labpass') });
    const r = await right.run(['id', '-u'], { root: true });
    assert.equal(r.stdout.trim(), '0');
    assert.equal(r.asRoot, true);
    // A command with its own stdin still gets it after the password line.
    const echo = await right.run(['cat'], { root: true, input: 'hello from stdin' });
    assert.equal(echo.stdout, 'hello from stdin');
    assert.equal(asked, 1, 'asked once, remembered after');
    await right.dispose();

    assert.ok(!logged.some((l) => l.includes('labpass') || l.includes('not-the-password')), 'no password in the log');

    // The inventory never asks: it reads as the user and says what that could not see.
    const m = await cli(['inventory', '--host', dest, '--ssh-config', host.sshConfig, '--json']);
    assert.equal(m.code, 0, m.stderr);
    const model = JSON.parse(m.stdout) as HostModel;
    assert.equal(model.checks.find((c) => c.id === 'root')?.ok, false);
    assert.equal(model.checks.find((c) => c.id === 'libvirt')?.ok, false);
    assert.ok(model.links.length > 0);
  } finally {
    await user.remove();
  }
});
