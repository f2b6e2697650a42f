/**
 * Lab tier: the host model tells the whole truth about every libvirt network and NIC kind.
 *
 * A corpus of network and domain XML (test/lab/corpus/) is defined on a lab host, read with one
 * `virtnet inventory`, and every typed fact of the model is checked against the host's own
 * `virsh net-dumpxml` / `virsh dumpxml` as read by an independent reader (corpus/facts.py, Python's
 * ElementTree, written from libvirt's format documentation rather than from VirtNet's parser).
 * Also printed: what libvirt refused to define, the per-field coverage of the corpus, and the facts
 * of the XML that no field of the model takes yet.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { promisify } from 'node:util';
import type { HostModel } from '../../src/core/model/types';
import { coverageOf, diffFacts, domainXmlFields, networkXmlFields, uncovered, unreadPaths, type FactsJson } from './corpus/compare';
import {
  buildCorpus,
  dumpTruth,
  EXPECTED_REFUSALS,
  liveDumps,
  MODELS_DOMAIN,
  readFacts,
  STARTED_DOMAINS,
  STARTED_NETWORKS,
  TRANSIENT_NETWORKS,
  type CorpusResult,
} from './corpus/corpus';
import { labSkipReason, labUp, type LabHost } from './lab';

const run = promisify(execFile);
const skip = labSkipReason() ?? (existsSync('/usr/bin/python3') ? null : 'the independent reader needs /usr/bin/python3');
const CLI = new URL('../../dist/cli.js', import.meta.url).pathname;
const REPO = path.resolve(path.dirname(CLI), '..');
const CACHE = process.env.VIRTNET_CACHE ?? path.join(REPO, '.cache');

/**
 * Fields that may stay without a value across the corpus, and why. Everything else of Network,
 * DomainInterface, DomainHostdev and the types inside them must have a value somewhere, which is
 * what proves the corpus exercises every fact.
 */
const MAY_STAY_EMPTY: Record<string, string> = {};

let host: LabHost;
let work: string;
let corpus: CorpusResult;
let model: HostModel;
let facts: FactsJson;
let truthDir: string;
const timings: string[] = [];

before(
  async () => {
    if (skip) return;
    const t0 = Date.now();
    host = await labUp('corpus', 26);
    timings.push(`lab host up ${Date.now() - t0} ms`);
    work = mkdtempSync(path.join(CACHE, 'corpus-'));
    corpus = await buildCorpus(host, work);
    timings.push(`corpus defined and started ${corpus.ms} ms`);
    const t1 = Date.now();
    const r = await run('node', [CLI, 'inventory', '--host', host.dest, '--ssh-config', host.sshConfig, '--json'], { maxBuffer: 64 << 20 });
    model = JSON.parse(r.stdout) as HostModel;
    timings.push(`one inventory ${Date.now() - t1} ms`);
    const t2 = Date.now();
    truthDir = path.join(work, 'truth');
    await dumpTruth(host, truthDir);
    facts = await readFacts(liveDumps(truthDir));
    timings.push(`dumps and facts.py ${Date.now() - t2} ms`);
  },
  { timeout: 300_000 },
);

after(
  async () => {
    if (skip) return;
    await host?.down();
    if (work) rmSync(work, { recursive: true, force: true });
  },
  { timeout: 120_000 },
);

function say(t: TestContext, lines: string[]): void {
  for (const l of lines) t.diagnostic(l);
}

const truth = (kind: 'net' | 'dom', name: string, inactive = false) =>
  readFileSync(path.join(truthDir, kind, `${name}${inactive ? '.inactive' : ''}.xml`), 'utf8');

test('libvirt defines the whole corpus and refuses only what it is expected to', { skip: skip ?? false }, (t) => {
  say(t, timings);
  say(t, [`defined ${corpus.defined.length} corpus files; refused ${corpus.refused.length}:`]);
  say(
    t,
    corpus.refused.map(
      (r) => `  refused ${r.file}: ${r.error}${EXPECTED_REFUSALS[r.file] ? ` (expected: ${EXPECTED_REFUSALS[r.file]?.why})` : ' (NOT EXPECTED)'}`,
    ),
  );
  const unexpected = corpus.refused.filter((r) => !EXPECTED_REFUSALS[r.file]);
  assert.deepEqual(unexpected, [], 'libvirt refused corpus files that should define');
  const wrongReason = corpus.refused.filter((r) => !r.error.includes(EXPECTED_REFUSALS[r.file]?.error ?? '\0'));
  assert.deepEqual(wrongReason, [], 'refused, but not for the expected reason');
  const accepted = Object.keys(EXPECTED_REFUSALS).filter((f) => corpus.defined.includes(f));
  assert.deepEqual(accepted, [], 'libvirt defined files that it is expected to refuse (the rule changed: update EXPECTED_REFUSALS)');
});

test('one inventory read every network and domain', { skip: skip ?? false }, () => {
  const names = (dir: string) =>
    new Set(
      liveDumps(truthDir)
        .filter((f) => f.includes(`/${dir}/`))
        .map((f) => path.basename(f, '.xml')),
    );
  assert.deepEqual(new Set(model.networks.map((n) => n.name)), names('net'));
  assert.deepEqual(new Set(model.domains.map((d) => d.name)), names('dom'));
  for (const n of STARTED_NETWORKS) assert.equal(model.networks.find((x) => x.name === n)?.active, true, `${n} is active`);
  for (const d of STARTED_DOMAINS) assert.equal(model.domains.find((x) => x.name === d)?.state, 'running', `${d} runs`);
});

test('every network fact matches the independent reader of net-dumpxml', { skip: skip ?? false }, (t) => {
  const diffs: string[] = [];
  for (const f of facts.networks) {
    const net = model.networks.find((n) => n.name === f.name);
    if (!net) {
      diffs.push(`network ${f.name}: not in the model`);
      continue;
    }
    const { unread: _unread, ...expected } = f;
    diffFacts(expected, networkXmlFields(net), `network ${f.name}`, diffs);
  }
  say(t, diffs.length ? ['wrong or missing network facts:', ...diffs.map((d) => `  ${d}`)] : [`${facts.networks.length} networks: every fact matches`]);
  assert.deepEqual(diffs, [], 'network facts differ from the XML');
});

test('every NIC and host device fact matches the independent reader of dumpxml', { skip: skip ?? false }, (t) => {
  const diffs: string[] = [];
  for (const f of facts.domains) {
    const dom = model.domains.find((d) => d.name === f.name);
    if (!dom) {
      diffs.push(`domain ${f.name}: not in the model`);
      continue;
    }
    const { unread: _unread, ...expected } = f;
    diffFacts(expected, domainXmlFields(dom), `domain ${f.name}`, diffs);
  }
  say(t, diffs.length ? ['wrong or missing domain facts:', ...diffs.map((d) => `  ${d}`)] : [`${facts.domains.length} domains: every fact matches`]);
  assert.deepEqual(diffs, [], 'domain facts differ from the XML');
});

test('each object keeps its XML, and its definition (null when transient)', { skip: skip ?? false }, (t) => {
  // Sections of the collector's output lose the final newline virsh prints; nothing else may differ.
  const same = (a: string | null, b: string) => a !== null && a.trimEnd() === b.trimEnd();
  const bad: string[] = [];
  let liveDiffers = 0;
  for (const n of model.networks) {
    if (!same(n.xml, truth('net', n.name))) bad.push(`network ${n.name}: xml is not net-dumpxml's`);
    if (TRANSIENT_NETWORKS.includes(n.name)) {
      if (n.persistent || n.inactiveXml !== null) bad.push(`network ${n.name}: transient, yet inactiveXml is not null`);
      continue;
    }
    if (!same(n.inactiveXml, truth('net', n.name, true))) bad.push(`network ${n.name}: inactiveXml is not net-dumpxml --inactive`);
    if (n.inactiveXml?.trimEnd() !== n.xml.trimEnd()) liveDiffers++;
  }
  for (const d of model.domains) {
    if (!same(d.xml, truth('dom', d.name))) bad.push(`domain ${d.name}: xml is not dumpxml's`);
    if (!same(d.inactiveXml, truth('dom', d.name, true))) bad.push(`domain ${d.name}: inactiveXml is not dumpxml --inactive`);
    if (d.inactiveXml?.trimEnd() !== d.xml.trimEnd()) liveDiffers++;
  }
  say(t, [`${liveDiffers} objects whose live XML differs from their definition`]);
  assert.deepEqual(bad, []);
  assert.ok(
    model.networks.some((n) => TRANSIENT_NETWORKS.includes(n.name)),
    'a transient network is in the corpus',
  );
  assert.ok(liveDiffers >= 2, 'running objects whose live XML differs from the definition are covered');
});

test('a domain has one NIC per NIC model the host offers', { skip: skip ?? false }, () => {
  assert.ok(model.info.nicModels.length > 0, 'the inventory found NIC models');
  assert.deepEqual(
    corpus.nicModels.map((m) => m.name),
    model.info.nicModels,
    'the generated domain covers exactly the models the inventory reports',
  );
  const dom = model.domains.find((d) => d.name === MODELS_DOMAIN);
  assert.deepEqual(
    dom?.interfaces.map((i) => i.model),
    model.info.nicModels,
  );
});

test('the corpus gives every field of the model a value somewhere', { skip: skip ?? false }, (t) => {
  const cov = coverageOf(
    model.networks.map((n) => networkXmlFields(n)),
    model.domains.map((d) => domainXmlFields(d)),
  );
  const lines = [...cov.seen.keys()].sort().map((k) => `  ${k.padEnd(36)} ${String(cov.withValue.get(k) ?? 0).padStart(4)} of ${cov.seen.get(k)}`);
  say(t, ['values per field (with a value, of all):', ...lines]);
  say(t, [
    'not compared as facts (none of one XML dump): Network active/autostart/persistent/leases/pending, DomainInterface ips/pending;',
    'xml and inactiveXml are compared whole with the dumps above',
  ]);
  const missing = uncovered(cov).filter((k) => !MAY_STAY_EMPTY[k]);
  assert.deepEqual(missing, [], 'fields no corpus object gives a value');
});

test('facts of the XML without a field of the model (informational)', { skip: skip ?? false }, (t) => {
  const where = unreadPaths(facts);
  say(t, [`${where.size} XML paths no field takes:`]);
  for (const [p, objects] of where) {
    const shown = objects.slice(0, 3).join(', ') + (objects.length > 3 ? `, +${objects.length - 3}` : '');
    t.diagnostic(`  ${p}  (${shown})`);
  }
});
