/**
 * Hand-written DNAT rules read from `iptables -w -t nat -S PREROUTING`. The first lines are as
 * iptables 1.8.9 printed them on a lab host after the guide's rule was added and VirtNet's
 * forward was in place (test/lab/forwards.test.ts); the others are rules that are no forward of
 * one port to one address, which must not be read as one.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHandForwards } from '../../../../src/core/collect/parse-forwards';

const OUTPUT = `-P PREROUTING ACCEPT
-A PREROUTING -m addrtype --dst-type LOCAL -j VIRTNET_DNAT
-A PREROUTING -p tcp -m tcp --dport 19923 -j DNAT --to-destination 192.168.148.10:22
-A PREROUTING -d 10.231.48.2/32 -i enp3s1 -p udp -m udp --dport 5353 -j DNAT --to-destination 192.168.148.11:53
-A PREROUTING -p tcp -m tcp --dport 8000:8009 -j DNAT --to-destination 192.168.148.10:8000-8009
-A PREROUTING -p tcp -m tcp --dport 2222 -m comment --comment "my rule" -j DNAT --to-destination 192.168.148.12:22
-A PREROUTING -i docker0 -j RETURN
`;

test('one port to one address is a hand forward, with its place in the chain; anything else is not', () => {
  assert.deepEqual(parseHandForwards(OUTPUT), [
    {
      proto: 'tcp',
      hostPort: 19923,
      hostAddress: null,
      inInterface: null,
      guestIp: '192.168.148.10',
      guestPort: 22,
      rule: '-p tcp -m tcp --dport 19923 -j DNAT --to-destination 192.168.148.10:22',
      position: 2,
    },
    {
      proto: 'udp',
      hostPort: 5353,
      hostAddress: '10.231.48.2',
      inInterface: 'enp3s1',
      guestIp: '192.168.148.11',
      guestPort: 53,
      rule: '-d 10.231.48.2/32 -i enp3s1 -p udp -m udp --dport 5353 -j DNAT --to-destination 192.168.148.11:53',
      position: 3,
    },
  ]);
  assert.deepEqual(parseHandForwards(''), []);
});
