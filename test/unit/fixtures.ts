/** Host models built from captured collector outputs (test/fixtures/), as the unit tests read them. */
import { readFileSync } from 'node:fs';
import { buildHostModel } from '../../src/core/collect/build';
import type { HostModel } from '../../src/core/model/types';

/** `file` under test/fixtures/ (a collector output taken with the fixed nonce), read as host `host`. */
export function fixtureModel(file: string, host: string): HostModel {
  return buildHostModel({ host, output: readFileSync(new URL(`../fixtures/${file}`, import.meta.url), 'utf8'), nonce: 'f1x7u2e0n0ce', asRoot: null });
}

/** The seed lab host: br9 (enp3s1, vnet0), network default on virbr0 with c7's lease, zxdb on br9. */
export const seedModel = () => fixtureModel('collector/seed.out', 'vnl-a');
/** The libvirt corpus as libvirt 11.3 held it (test/fixtures/corpus/libvirt-11.3). */
export const corpus113Model = () => fixtureModel('corpus/libvirt-11.3/corpus.out', 'vnl-corpus-fix');
