/** The preview's line helpers: a unified diff that shows exactly what changes, and nothing else. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { prefixLines, unifiedDiff } from '../../../src/core/lines';

const lines = (n: number) => Array.from({ length: n }, (_, i) => `line ${i + 1}`);

test('one line added in the middle: that line, two of context either side, the rest elided', () => {
  const a = `${lines(10).join('\n')}\n`;
  const b = a.replace('line 5\n', 'line 5\nnew\n');
  assert.equal(unifiedDiff(a, b), ['  …', '  line 4', '  line 5', '+ new', '  line 6', '  line 7', '  …'].join('\n') + '\n');
});

test('a changed line is a removal and an addition; changes at both ends keep their context', () => {
  const a = lines(8).join('\n');
  const b = ['first', ...lines(8).slice(1, 7), 'last'].join('\n');
  assert.equal(unifiedDiff(a, b), ['- line 1', '+ first', '  line 2', '  line 3', '  …', '  line 6', '  line 7', '- line 8', '+ last'].join('\n') + '\n');
});

test('equal texts have no changed lines; prefixLines drops only the final newline', () => {
  assert.ok(!/^[+-]/m.test(unifiedDiff('a\nb\n', 'a\nb\n')));
  assert.deepEqual(prefixLines('a\n\nb\n', '| '), ['| a', '| ', '| b']);
});
