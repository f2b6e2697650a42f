import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifySshFailure, validateSshDestination } from '../../../../src/core/exec/ssh';

// The stderr texts below are what OpenSSH 9.2 printed in the lab (see test/lab/faults.test.ts).
test('OpenSSH failures are told apart from the command exiting 255', () => {
  assert.equal(classifySshFailure(255, 'Host key verification failed.\r\n'), 'hostkey');
  assert.equal(
    classifySshFailure(255, 'No ED25519 host key is known for [10.231.1.2]:22 and you have requested strict checking.\r\nHost key verification failed.\r\n'),
    'hostkey',
  );
  assert.equal(classifySshFailure(255, 'root@10.231.1.2: Permission denied (publickey).\r\n'), 'auth');
  assert.equal(classifySshFailure(255, 'ssh: connect to host 10.231.9.2 port 22: Connection refused\r\n'), 'unreachable');
  assert.equal(classifySshFailure(255, 'ssh: Could not resolve hostname nosuch.invalid: Name or service not known\r\n'), 'unreachable');
  assert.equal(classifySshFailure(255, 'ssh: connect to host 10.231.9.2 port 22: Connection timed out\r\n'), 'unreachable');
  assert.equal(classifySshFailure(255, 'some tool of ours exited 255 on its own'), null);
  assert.equal(classifySshFailure(1, 'Permission denied (publickey).'), null);
});

test('destinations that ssh would read as options are refused', () => {
  assert.match(validateSshDestination('-oProxyCommand=touch /tmp/x') ?? '', /starts with "-"/);
  assert.match(validateSshDestination('host name') ?? '', /whitespace/);
  assert.match(validateSshDestination('host\nname') ?? '', /whitespace or control/);
  assert.match(validateSshDestination('') ?? '', /empty/);
  assert.equal(validateSshDestination('root@kvm1.example.org'), null);
  assert.equal(validateSshDestination('ssh://admin@10.0.0.5:2222'), null);
  assert.equal(validateSshDestination('kvm-alias'), null);
});
