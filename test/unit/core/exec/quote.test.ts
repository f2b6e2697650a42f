import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { test } from 'node:test';
import { shJoin, shQuote } from '../../../../src/core/exec/quote';

const hostile = [
  'br0;reboot',
  '$(id)',
  '`id`',
  "it's",
  '"double"',
  'a\nb',
  '-rf',
  '--',
  '',
  ' leading space',
  'tab\there',
  'glob*?[x]',
  '~root',
  'a&&b||c|d>e<f',
  '\\backslash\\',
  'ünïcødé-网络',
  "'",
  "''",
  '$HOME ${PATH} $1',
  '!event',
  '#comment',
  '{a,b}',
];

test('plain words stay unquoted so logs stay readable', () => {
  assert.equal(shQuote('br9'), 'br9');
  assert.equal(shQuote('192.168.122.1/24'), '192.168.122.1/24');
  assert.equal(shQuote('--stp=on'), '--stp=on');
});

test('every word with a shell-special character comes out single-quoted', () => {
  for (const w of hostile.filter((x) => /[^A-Za-z0-9_@%+=:,./-]/.test(x) || x === '')) {
    assert.match(shQuote(w), /^'.*'$/s, JSON.stringify(w));
  }
  // A leading dash is not special to the shell; argv position (after --) protects programs.
  assert.equal(shQuote('-rf'), '-rf');
  assert.equal(shQuote(''), "''");
  assert.equal(shQuote("it's"), `'it'\\''s'`);
});

test('a real shell parses shJoin(argv) back into exactly argv', () => {
  // printf with NUL separators shows the argument boundaries the shell produced.
  const line = shJoin(['printf', '%s\\0', ...hostile]);
  for (const shell of ['sh', 'bash']) {
    const out = execFileSync(shell, ['-c', line], { encoding: 'utf8' });
    assert.deepEqual(out.split('\0').slice(0, -1), hostile, shell);
  }
});

test('NUL cannot be passed and is refused', () => {
  assert.throws(() => shQuote('a\0b'), /NUL/);
});
