/**
 * The libvirt corpus as real libvirt hosts held it (test/fixtures/corpus/, captured by
 * capture-corpus.ts): the model built from the collector's output agrees field by field with the
 * independent reader (test/lab/corpus/facts.py) over the same host's dumps, keeps each object's
 * XML and definition, and the classful prefix reads as the host itself applied it; on both
 * libvirt 9.0 and 11.3 captures.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { buildHostModel } from '../../../../src/core/collect/build';
import { coverageOf, diffFacts, domainXmlFields, networkXmlFields, uncovered, type FactsJson } from '../../../lab/corpus/compare';

const strip = <T extends { unread: string[] }>(f: T) => Object.fromEntries(Object.entries(f).filter(([k]) => k !== 'unread'));

// The same corpus captured from libvirt 9.0 / QEMU 7.2 (Debian 12) and libvirt 11.3 / QEMU 10.0
// (bookworm-backports, what the lab runs now): the parsers read both.
// Fields a version's corpus cannot hold: Debian 12's libvirt 9.0 refuses <backend type='passt'/>
// (libvirt gitlab #462), so its user-mode NICs are all SLIRP, without forwards.
for (const [version, dir, cannot] of [
  ['libvirt 9.0', '', ['DomainInterface.backend', 'DomainInterface.portForwards']],
  ['libvirt 11.3', 'libvirt-11.3/', []],
] as const) {
  const at = (p: string) => new URL(`../../../fixtures/corpus/${dir}${p}`, import.meta.url);
  const model = buildHostModel({ host: 'vnl-corpus-fix', output: readFileSync(at('corpus.out'), 'utf8'), nonce: 'f1x7u2e0n0ce', asRoot: null });
  const facts = JSON.parse(readFileSync(at('facts.json'), 'utf8')) as FactsJson;

  test(`${version}: every network and domain fact agrees with the independent reader of the same dumps`, () => {
    assert.equal(model.networks.length, facts.networks.length);
    assert.equal(model.domains.length, facts.domains.length);
    const problems: string[] = [];
    for (const f of facts.networks) {
      const n = model.networks.find((x) => x.name === f.name);
      if (!n) problems.push(`network ${f.name}: missing from the model`);
      else diffFacts(strip(f), networkXmlFields(n), `network ${f.name}`, problems);
    }
    for (const f of facts.domains) {
      const d = model.domains.find((x) => x.name === f.name);
      if (!d) problems.push(`domain ${f.name}: missing from the model`);
      else diffFacts(strip(f), domainXmlFields(d), `domain ${f.name}`, problems);
    }
    assert.deepEqual(problems, []);
    const cov = coverageOf(model.networks.map(networkXmlFields), model.domains.map(domainXmlFields));
    assert.deepEqual(
      uncovered(cov).filter((f) => !(cannot as readonly string[]).includes(f)),
      [],
      'every typed field has a value somewhere in the corpus',
    );
  });

  test(`${version}: each object keeps its XML and its definition as the host printed them`, () => {
    for (const n of model.networks) {
      assert.equal(n.xml, readFileSync(at(`xml/net/${n.name}.xml`), 'utf8').trimEnd(), n.name);
      if (n.persistent) assert.equal(n.inactiveXml, readFileSync(at(`xml/net/${n.name}.inactive.xml`), 'utf8').trimEnd(), n.name);
      else assert.equal(n.inactiveXml, null, `${n.name} is transient`);
    }
    for (const d of model.domains) assert.equal(d.inactiveXml, readFileSync(at(`xml/dom/${d.name}.inactive.xml`), 'utf8').trimEnd(), d.name);
  });

  test(`${version}: 172.20.0.1 with neither prefix nor netmask is /16, as the host put it on the bridge`, () => {
    const net = model.networks.find((n) => n.name === 'classful-b')!;
    assert.equal(net.active, true);
    assert.deepEqual(
      net.ips.map((ip) => `${ip.address}/${ip.prefix}`),
      ['172.20.0.1/16'],
    );
    assert.ok(model.links.find((l) => l.name === net.bridge)?.addresses.includes('172.20.0.1/16'), 'the kernel holds the same prefix');
    const classes = model.networks.find((n) => n.name === 'classful')!;
    assert.deepEqual(
      classes.ips.map((ip) => ip.prefix),
      [8, 16, 24, 64],
    );
    assert.deepEqual(
      classes.routes.map((r) => r.prefix),
      [0, 0],
      'a route without a prefix is a default route: /0, never classful',
    );
  });
}
