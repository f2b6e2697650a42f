#!/usr/bin/env node
// A stand-in for iptables and nft (by the name it is called as), for the sync script's unit test:
// the root namespace's real firewall must not be touched, and a lab host is a later tier. It keeps
// a tiny model of tables, chains and rules in $FAKE_FW (JSON), logs each call to $FAKE_FW.log,
// and answers as the real tools do where the script relies on it: a missing chain, table or rule
// is an error (exit 1); `-S CHAIN` and `nft list table` succeed only when it exists;
// `nft -a list chain` prints rules with their handles.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';

const file = process.env.FAKE_FW;
const fw = JSON.parse(readFileSync(file, 'utf8'));
const tool = basename(process.argv[1]);
const args = process.argv.slice(2);
appendFileSync(`${file}.log`, `${tool} ${args.join(' ')}\n`);
const done = (code, out = '') => {
  writeFileSync(file, JSON.stringify(fw, null, 1));
  if (out) process.stdout.write(out);
  process.exit(code);
};

if (tool === 'iptables') {
  const a = args.filter((x) => x !== '-w');
  let table = 'filter';
  if (a[0] === '-t') {
    table = a[1];
    a.splice(0, 2);
  }
  const t = (fw.iptables[table] ??= {});
  const [op, chain, ...rest] = a;
  const rule = rest.join(' ');
  const has = chain in t;
  switch (op) {
    case '-N':
      if (has) done(1);
      t[chain] = [];
      done(0);
    case '-X':
      if (!has || t[chain].length) done(1);
      delete t[chain];
      done(0);
    case '-F':
      if (!has) done(1);
      t[chain] = [];
      done(0);
    case '-S':
      done(has ? 0 : 1, has ? t[chain].map((r) => `-A ${chain} ${r}\n`).join('') : '');
    case '-C':
      done(has && t[chain].includes(rule) ? 0 : 1);
    case '-A':
      if (!has) done(1);
      t[chain].push(rule);
      done(0);
    case '-I': {
      if (!has) done(1);
      const at = /^\d+$/.test(rest[0] ?? '') ? Number(rest.shift()) - 1 : 0;
      t[chain].splice(at, 0, rest.join(' '));
      done(0);
    }
    case '-D': {
      const i = has ? t[chain].indexOf(rule) : -1;
      if (i < 0) done(1);
      t[chain].splice(i, 1);
      done(0);
    }
    default:
      done(2);
  }
}

// nft: `[-a] <verb> <what> ip <table> [chain] ...`
const a = [...args];
const handles = a[0] === '-a' && a.shift() !== undefined;
const [verb, what, family, table, chain, ...rest] = a;
const key = `${family} ${table}`;
const tables = fw.nft;
if (what === 'table') {
  if (verb === 'list') done(key in tables ? 0 : 1);
  if (verb === 'delete') {
    if (!(key in tables)) done(1);
    delete tables[key];
    done(0);
  }
  if (verb === 'add') {
    tables[key] ??= {};
    done(0);
  }
}
const t = tables[key];
if (!t) done(1);
if (what === 'chain') {
  if (verb === 'add') {
    t[chain] ??= [];
    done(0);
  }
  if (verb === 'list') {
    if (!(chain in t)) done(1);
    done(0, t[chain].map((r) => `\t\t${r.text}${handles ? ` # handle ${r.handle}` : ''}\n`).join(''));
  }
}
if (what === 'rule') {
  if (!(chain in t)) done(1);
  if (verb === 'add' || verb === 'insert') {
    fw.nextHandle = (fw.nextHandle ?? 10) + 1;
    const r = { text: rest.join(' '), handle: fw.nextHandle };
    if (verb === 'add') t[chain].push(r);
    else t[chain].unshift(r);
    done(0);
  }
  if (verb === 'delete' && rest[0] === 'handle') {
    const i = t[chain].findIndex((r) => String(r.handle) === rest[1]);
    if (i < 0) done(1);
    t[chain].splice(i, 1);
    done(0);
  }
}
done(2);
