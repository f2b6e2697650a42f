import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCidr, checkIfName, checkIp, checkMac } from '../../../src/core/validate';

test('interface names: the kernel rules, and no option look-alikes', () => {
  for (const ok of ['br9', 'enp3s1', 'virbr0', 'vnet0', 'br-lan.100', 'a', '123456789012345']) {
    assert.equal(checkIfName(ok), null, ok);
  }
  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['1234567890123456', /16 bytes.*at most 15/],
    ['.', /cannot be/],
    ['..', /cannot be/],
    ['br 0', /contains " "/],
    ['br/0', /contains "\/"/],
    ['br:0', /contains ":"/],
    ['br\n0', /contains/],
    ['-br', /starts with "-"/],
    ['brü', /printable ASCII/],
  ];
  for (const [name, why] of bad) {
    const err = checkIfName(name);
    assert.ok(err, `${JSON.stringify(name)} refused`);
    assert.match(err, why, JSON.stringify(name));
  }
  // ';', '$', '(' are legal for the kernel; they are safe because they only ever travel as argv
  // (the plan tests run such names through a real shell).
  assert.equal(checkIfName('br0;reboot'), null);
  assert.equal(checkIfName('$(id)'), null);
});

test('addresses, prefixes and MACs', () => {
  assert.equal(checkCidr('192.168.9.10/24'), null);
  assert.equal(checkCidr('fd00::1/64'), null);
  assert.match(checkCidr('192.168.9.10') ?? '', /no prefix/);
  assert.match(checkCidr('192.168.9.10/33') ?? '', /between 0 and 32/);
  assert.match(checkCidr('300.1.1.1/24') ?? '', /not an IPv4/);
  assert.match(checkCidr('1.2.3.4/x') ?? '', /prefix length/);
  assert.equal(checkIp('10.0.0.1'), null);
  assert.match(checkIp('10.0.0') ?? '', /not an IPv4/);
  assert.match(checkIp('01.2.3.4') ?? '', /not an IPv4/);
  assert.match(checkIp('fd00::1::2') ?? '', /not an IPv6/);
  assert.equal(checkMac('52:54:00:c7:00:01'), null);
  assert.match(checkMac('52:54:00:c7:00') ?? '', /not a MAC/);
  assert.match(checkMac('01:00:5e:00:00:01') ?? '', /multicast/);
});
