/**
 * The corpus on a lab host: defines every network and domain of test/lab/corpus/ (plus a domain
 * made here with one NIC per NIC model the host's QEMU offers), starts the few that run, and dumps
 * what libvirt then says of each object. Shared by the lab test (corpus.test.ts) and the fixture
 * capture (test/fixtures/corpus/capture-corpus.ts), so both see the same host.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import type { LabHost } from '../lab';
import type { FactsJson } from './compare';

const run = promisify(execFile);

export const CORPUS_DIR = path.dirname(new URL(import.meta.url).pathname);
export const FACTS_PY = path.join(CORPUS_DIR, 'facts.py');
/** Debian's own python3: the reader needs nothing but its standard library. */
export const PYTHON = '/usr/bin/python3';

/** Networks that are started (so live XML that differs from the definition is covered too). */
export const STARTED_NETWORKS = ['nat-dhcp-dns', 'isolated', 'bridge-br9', 'macvtap-private', 'classful-b'];
/** Networks created with net-create: transient, with no definition. */
export const TRANSIENT_NETWORKS = ['transient'];
/** Domains that are started: no disk, the guest idles in the firmware; enough for taps. */
export const STARTED_DOMAINS = ['d-run'];
/** The domain made at run time with one NIC per NIC model of `qemu -device help`. */
export const MODELS_DOMAIN = 'd-models';

/**
 * What libvirt must refuse, and why (a substring of its error). Each file documents a rule of
 * libvirt's that a planner has to know; any other refusal fails the test.
 */
export const EXPECTED_REFUSALS: Record<string, { why: string; error: string }> = {
  'networks/refused-floor.xml': {
    why: 'a bandwidth floor is only for a guest interface of type network, not a whole network',
    error: 'floor attribute is not supported',
  },
  'networks/refused-route-host-bits.xml': {
    why: 'a route without prefix or netmask has prefix 0 (no classful default), so any address but 0.0.0.0 has host bits',
    error: 'is not a network address',
  },
  'domains/refused-guest-ip.xml': {
    why: "QEMU cannot set a guest-side address on a tap (ethernet NIC <ip>); only SLIRP's subnet",
    error: 'not supported by QEMU',
  },
};

export interface NicModel {
  name: string;
  /** QEMU's bus for it: PCI for most; usb-bus, ISA, virtio-bus for a few. */
  bus: string;
}

/** The NIC models of `qemu-system-x86_64 -device help` (its "Network devices:" section). */
export function parseNicModels(help: string): NicModel[] {
  const start = help.indexOf('Network devices:');
  if (start < 0) return [];
  const section = help.slice(start).split(/\n\s*\n/)[0] ?? '';
  const models: NicModel[] = [];
  for (const line of section.split('\n')) {
    const m = /^name "([^"]+)", bus ([^,\s]+)/.exec(line.trim());
    if (m?.[1] && m[2]) models.push({ name: m[1], bus: m[2] });
  }
  return models;
}

/**
 * One user-mode NIC per model. libvirt places an unknown model on PCI itself, but refuses to
 * place usb-net anywhere ("Cannot automatically add a new PCI bus for a device with connect flags
 * 00"), so USB models get a USB address written out.
 */
export function modelsDomainXml(models: NicModel[]): string {
  let usbPort = 0;
  const nics = models.map((m, i) => {
    const mac = `52:54:00:c0:10:${(i + 1).toString(16).padStart(2, '0')}`;
    const address = m.bus === 'usb-bus' ? `\n      <address type='usb' bus='0' port='${++usbPort}'/>` : '';
    return `    <interface type='user'>\n      <mac address='${mac}'/>\n      <model type='${m.name}'/>${address}\n    </interface>`;
  });
  return [
    `<!-- Made by test/lab/corpus/corpus.ts: one NIC per NIC model this host's QEMU offers. -->`,
    `<domain type='qemu'>`,
    `  <name>${MODELS_DOMAIN}</name>`,
    `  <memory unit='MiB'>64</memory>`,
    `  <vcpu>1</vcpu>`,
    `  <os>`,
    `    <type arch='x86_64' machine='q35'>hvm</type>`,
    `  </os>`,
    `  <devices>`,
    `    <emulator>/usr/bin/qemu-system-x86_64</emulator>`,
    ...nics,
    `  </devices>`,
    `</domain>`,
    '',
  ].join('\n');
}

export interface Refusal {
  file: string;
  error: string;
}

export interface CorpusResult {
  /** Corpus files (relative to CORPUS_DIR, or the generated one's path) libvirt took. */
  defined: string[];
  refused: Refusal[];
  nicModels: NicModel[];
  ms: number;
}

async function must(host: LabHost, argv: string[]): Promise<string> {
  const r = await host.exec(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed on ${host.name}: ${r.stderr.trim()}`);
  return r.stdout;
}

/**
 * The lab host has no SR-IOV hardware, and libvirt checks when a hostdev pool is defined that
 * each of its PCI addresses is a VF (its sysfs entry has a `physfn`). So the host's private /sys
 * (its own mount namespace, nothing outside changes) gets a tmpfs over /sys/bus/pci/devices with
 * the real entries as links plus one fake PF and the three VFs of hostdev-addrs.xml. The fakes
 * have no `class` file, so the collector's PCI walk skips them.
 */
const FAKE_VFS = String.raw`
set -e
cd /sys/bus/pci/devices
links=$(for e in *; do [ -e "$e" ] && printf '%s %s\n' "$e" "$(readlink -f "$e")"; done)
mount -t tmpfs -o mode=755 corpus-pci /sys/bus/pci/devices
cd /sys/bus/pci/devices
printf '%s\n' "$links" | while read -r name target; do [ -n "$name" ] && ln -s "$target" "$name"; done
mkdir 0000:03:00.0
for vf in 0000:03:10.0 0000:03:10.2 0001:8a:1f.7; do mkdir "$vf"; ln -s ../0000:03:00.0 "$vf/physfn"; done
`;

function corpusFiles(kind: 'networks' | 'domains'): string[] {
  return readdirSync(path.join(CORPUS_DIR, kind))
    .filter((f) => f.endsWith('.xml'))
    .sort()
    .map((f) => `${kind}/${f}`);
}

/** Defines the corpus on an up (unseeded) lab host; the generated domain goes to workDir. */
export async function buildCorpus(host: LabHost, workDir: string): Promise<CorpusResult> {
  const started = Date.now();
  await must(host, ['sh', '-c', FAKE_VFS]);
  // br9 as the guide's seeded host has it, without seeding (which boots a guest: ~15 s).
  await must(host, ['sh', '-c', 'ip link add br9 type bridge && ip link set br9 up']);

  const defined: string[] = [];
  const refused: Refusal[] = [];
  const define = async (verb: string, file: string, label = file) => {
    const r = await host.exec(['virsh', verb, file]);
    if (r.code === 0) defined.push(label);
    else {
      // virsh says "Failed to define ... from FILE" first, then libvirt's reason.
      const why = r.stderr
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^error: Failed to (define|create)/.test(l));
      refused.push({ file: label, error: why.join('; ') || `exit ${r.code}` });
    }
  };
  for (const f of corpusFiles('networks')) {
    const name = path.basename(f, '.xml');
    await define(TRANSIENT_NETWORKS.includes(name) ? 'net-create' : 'net-define', path.join(CORPUS_DIR, f), f);
  }
  for (const n of STARTED_NETWORKS) await must(host, ['virsh', 'net-start', n]);

  const help = await must(host, ['sh', '-c', 'qemu-system-x86_64 -nodefaults -machine none -device help 2>&1']);
  const nicModels = parseNicModels(help);
  mkdirSync(workDir, { recursive: true });
  const modelsFile = path.join(workDir, `${MODELS_DOMAIN}.xml`);
  writeFileSync(modelsFile, modelsDomainXml(nicModels));
  for (const f of corpusFiles('domains')) await define('define', path.join(CORPUS_DIR, f), f);
  await define('define', modelsFile, `(generated) ${MODELS_DOMAIN}.xml`);
  for (const d of STARTED_DOMAINS) await must(host, ['virsh', 'start', d]);
  return { defined, refused, nicModels, ms: Date.now() - started };
}

/**
 * libvirt's own account of every object, into dir: net/NAME.xml (`net-dumpxml`, live),
 * net/NAME.inactive.xml (`--inactive`, persistent ones only), and the same under dom/. One exec:
 * a process per object through labhost.sh would cost seconds.
 */
const DUMP = String.raw`
set -e
d=$1
mkdir -p "$d/net" "$d/dom"
virsh -q net-list --all --name | while read -r n; do [ -n "$n" ] && virsh net-dumpxml "$n" > "$d/net/$n.xml"; done
virsh -q net-list --all --persistent --name | while read -r n; do [ -n "$n" ] && virsh net-dumpxml --inactive "$n" > "$d/net/$n.inactive.xml"; done
virsh -q list --all --name | while read -r n; do [ -n "$n" ] && virsh dumpxml "$n" > "$d/dom/$n.xml"; done
virsh -q list --all --persistent --name | while read -r n; do [ -n "$n" ] && virsh dumpxml --inactive "$n" > "$d/dom/$n.inactive.xml"; done
true
`;

export async function dumpTruth(host: LabHost, dir: string): Promise<void> {
  await must(host, ['sh', '-c', DUMP, 'corpus-dump', dir]);
}

/** The live dumps of a dumpTruth dir (not the --inactive ones), networks then domains. */
export function liveDumps(dir: string): string[] {
  const live = (sub: string) =>
    readdirSync(path.join(dir, sub))
      .filter((f) => f.endsWith('.xml') && !f.endsWith('.inactive.xml'))
      .sort()
      .map((f) => path.join(dir, sub, f));
  return [...live('net'), ...live('dom')];
}

/** The independent reader over dumps. */
export async function readFacts(files: string[]): Promise<FactsJson> {
  const r = await run(PYTHON, [FACTS_PY, ...files], { maxBuffer: 64 << 20 });
  return JSON.parse(r.stdout) as FactsJson;
}
