/**
 * Lab tier: plans as the host runs them, through the CLI over real SSH.
 *   - a saved plan applied after the host changed, or on another host, is refused and nothing
 *     changes; on an unchanged host it applies;
 *   - two applies at once on one host are serialised by the host lock;
 *   - the connection cut mid-plan (the CLI and its ssh master killed, as a crashed window does):
 *     with the remaining steps good the plan runs to its end, with one failing after the cut it
 *     undoes every done step; each time the lock ends free and the next command reports the
 *     outcome once; a second plan started meanwhile waits, told which plan holds the host.
 * The plan's steps are slowed on the host by a wrapper over `ip` bound in its own mount namespace.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { HostModel } from '../../src/core/model/types';
import { CLI, onLab, virtnet } from './cli';
import { guardLeftovers, journals, labSkipReason, labUp, type LabHost } from './lab';

const skip = labSkipReason();
const opts = { skip: skip ?? false, timeout: 150_000 };
let host: LabHost;
let other: LabHost;
const dir = mkdtempSync(join(tmpdir(), 'virtnet-plans-'));

before(
  async () => {
    if (skip) return;
    [host, other] = await Promise.all([labUp('plans', 24, { libvirt: false }), labUp('plans2', 25, { libvirt: false })]);
  },
  { timeout: 180_000 },
);

after(
  async () => {
    if (!skip) await Promise.all([host?.down(), other?.down()]);
    rmSync(dir, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

const cli = (...args: string[]) => onLab(host, '--yes')(...args);
const sh = async (script: string) => {
  const r = await host.exec(['sh', '-c', script]);
  assert.equal(r.code, 0, `${script}: ${r.stderr}`);
  return r.stdout;
};
/** Links and their masters: what "as before" compares. */
const links = () => sh('ip -o link show | sed "s/^[0-9]*: //; s/ state .*//; s/<[^>]*>//; s/ qdisc [^ ]*//" | sort');
const taps = (...names: string[]) => sh(names.map((n) => `ip tuntap add dev ${n} mode tap`).join('; '));
const untaps = (...names: string[]) => host.exec(['sh', '-c', names.map((n) => `ip link del dev ${n} 2>/dev/null`).join('; ') + '; true']);

/** `ip link set` takes `seconds` longer on the host, from now until the returned undo. */
async function slowIp(seconds: number): Promise<() => Promise<void>> {
  const real = join(dir, 'ip.real');
  const wrapper = join(dir, 'ip');
  writeFileSync(wrapper, `#!/bin/sh\n[ "$1 $2" = "link set" ] && sleep ${seconds}\nexec ${real} "$@"\n`, { mode: 0o755 });
  await sh(`cp /usr/bin/ip ${real} && mount --bind ${wrapper} /usr/bin/ip`);
  return async () => {
    await sh('umount /usr/bin/ip');
  };
}

/** Starts the CLI as a process group of its own; `cut()` kills it and its ssh master. */
function startCli(args: string[]): { cut(): void; done: Promise<number | null> } {
  const child = spawn('node', [CLI, ...args, '--host', host.dest, '--ssh-config', host.sshConfig, '--yes'], { detached: true, stdio: 'ignore' });
  const done = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    done,
    cut() {
      process.kill(-child.pid!, 'SIGKILL');
      // The master was started by that CLI with a control directory named for its pid.
      spawn('pkill', ['-KILL', '-f', `virtnet-${process.getuid?.() ?? 0}-${child.pid}`]).on('error', () => {});
    },
  };
}

/** Waits until a journal not among `old` has started step `n`. */
async function atStep(n: number, old: string[]): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const id = (await journals(host)).filter((j) => !old.includes(j)).at(-1);
    if (id && new RegExp(`^virtnet: step ${n} of`, 'm').test(await sh(`cat /run/virtnet/journal/${id}/out 2>/dev/null || true`))) return id;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`no plan reached step ${n}`);
}

async function ended(id: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if ((await host.exec(['test', '-e', `/run/virtnet/journal/${id}/rc`])).code === 0) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the plan ${id} never ended`);
}

async function inventory(): Promise<{ model: HostModel; stderr: string }> {
  const r = await virtnet(['inventory', '--json', '--host', host.dest, '--ssh-config', host.sshConfig]);
  assert.equal(r.code, 0, r.stderr);
  return { model: JSON.parse(r.stdout) as HostModel, stderr: r.stderr };
}

test('a saved plan: refused once the host changed or on another host, nothing changed; applied on an unchanged host', opts, async () => {
  await taps('sv0', 'sv1');
  await sh('ip link add name brsv type bridge');
  try {
    const file = join(dir, 'plan.json');
    let r = await cli('bridge', 'add-port', 'brsv', 'sv0', '--save-plan', file);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /plan saved to .*; nothing ran/);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(saved.format, 'virtnet-plan');
    assert.equal(saved.host.hostname, 'vnl-plans');
    assert.deepEqual(
      saved.plan.steps.map((s: { argv: string[] }) => s.argv),
      [['ip', 'link', 'set', 'dev', 'sv0', 'master', 'brsv']],
    );
    assert.equal((await sh('ip -o link show dev sv0')).includes('master'), false, '--save-plan ran nothing');

    // The host changes: sv0 goes into another bridge.
    await sh('ip link add name brother type bridge && ip link set dev sv0 master brother');
    const before = await links();
    r = await virtnet(['apply', file, '--ssh-config', host.sshConfig, '--yes']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /refused, nothing ran: the host is not as the plan was made for/);
    assert.match(r.stderr, /sv0 is a port of brother \(the plan expects it in no bridge\)/);
    assert.equal(await links(), before, 'nothing changed');

    // Another host entirely (same names there).
    const theirs = await other.exec(['sh', '-c', 'ip tuntap add dev sv0 mode tap; ip link add name brsv type bridge; ip -o link show | sort']);
    r = await virtnet(['apply', file, '--host', other.dest, '--ssh-config', other.sshConfig, '--yes']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /this is not the host the plan was made for \(this is vnl-plans2; the plan is for vnl-plans\)/);
    assert.equal((await other.exec(['sh', '-c', 'ip -o link show | sort'])).stdout, theirs.stdout, 'nothing changed there');

    // Back as it was made for: the saved plan applies, exactly its commands.
    await sh('ip link set dev sv0 nomaster && ip link del dev brother');
    r = await virtnet(['apply', file, '--ssh-config', host.sshConfig, '--yes', '--verbose']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\$ ip link set dev sv0 master brsv/);
    assert.match(await sh('ip -o link show dev sv0'), /master brsv/);
  } finally {
    await host.exec(['sh', '-c', 'ip link del dev brsv; ip link del dev brother; true']);
    await untaps('sv0', 'sv1');
  }
});

test('two applies at once on one host: serialised by the host lock, the second told who held it', opts, async () => {
  await taps('lk0', 'lk1');
  const fast = await slowIp(1.5);
  try {
    const old = await journals(host);
    const first = startCli(['bridge', 'create', 'brlk', '--port', 'lk0', '--port', 'lk1']);
    await atStep(1, old);
    const second = await cli('tap', 'create', 'lk2');
    assert.equal(await first.done, 0);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, /virtnet: the host was busy with another plan, "Create bridge brlk with lk0, lk1" \(started [^)]*\): this one waited/);
    // All of both: the bridge with its two ports, and the tap.
    assert.match(await sh('ip -o link show master brlk | wc -l'), /^2$/m);
    assert.match(await sh('ip -o link show dev lk2'), /lk2/);
    assert.equal(await guardLeftovers(host), '');
  } finally {
    await fast();
    await host.exec(['sh', '-c', 'ip link del dev brlk; true']);
    await untaps('lk0', 'lk1', 'lk2');
  }
});

for (const failing of [false, true]) {
  test(
    `the connection cut mid-plan, ${failing ? 'a step failing after the cut: every done step undone' : 'the rest good: the plan runs to its end'}; the next command says so, once`,
    opts,
    async () => {
      await taps('cut1', 'cut2', 'cut3', 'cut4');
      const baseline = await links();
      const fast = await slowIp(1.5);
      try {
        const old = await journals(host);
        const run = startCli(['bridge', 'create', 'brcut', '--stp', 'on', '--port', 'cut1', '--port', 'cut2', '--port', 'cut3', '--port', 'cut4']);
        const id = await atStep(2, old);
        run.cut();
        await run.done;
        // Nobody is connected any more. The last port vanishes before its turn, or not.
        if (failing) await sh('ip link del dev cut4');
        // A second plan meanwhile waits for the orphan, and says which plan holds the host.
        const second = await cli('tap', 'create', 'cutx');
        assert.equal(second.code, 0, second.stderr);
        assert.match(second.stderr, /the host was busy with another plan, "Create bridge brcut with cut1, cut2, cut3, cut4"/);
        await ended(id);
        await fast();
        const now = await links();
        if (failing) {
          assert.equal(now.replace(/^cutx.*\n/m, ''), baseline.replace(/^cut4.*\n/m, ''), 'none of it: brcut gone, cut1-3 released');
        } else {
          assert.match(await sh('ip -o link show master brcut | wc -l'), /^4$/m, 'all of it: four ports on brcut');
        }
        assert.equal(await guardLeftovers(host), '', 'the lock is free, no run left');
        const first = await inventory();
        const record = first.model.plans.find((p) => p.id === id);
        assert.equal(record?.state, failing ? 'failed' : 'applied', JSON.stringify(record));
        assert.equal(record?.claimed, true);
        assert.match(
          first.stderr,
          failing
            ? /from an earlier session: Create bridge brcut with cut1, cut2, cut3, cut4, started \d\d:\d\d UTC from [\d.]+: step 5 failed, steps 1-4 undone/
            : /from an earlier session: Create bridge brcut .*: ran to its end/,
        );
        const again = await inventory();
        assert.doesNotMatch(again.stderr, /from an earlier session/, 'reported once');
        const journal = await virtnet(['journal', '--host', host.dest, '--ssh-config', host.sshConfig]);
        assert.match(journal.stdout, new RegExp(`^${id}  Create bridge brcut`, 'm'));
      } finally {
        await fast().catch(() => {});
        await host.exec(['sh', '-c', 'ip link del dev brcut 2>/dev/null; true']);
        await untaps('cut1', 'cut2', 'cut3', 'cut4', 'cutx');
      }
    },
  );
}
