/**
 * The XML editor keeps every byte it does not own: attributes set in place, elements added where
 * asked with their siblings' indent, elements removed with their line; comments, CDATA and
 * foreign namespaces untouched; what is not well-formed is refused.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { attr, child, parseXmlTree, XmlEdit, XmlSyntaxError } from '../../../../../src/core/ops/libvirt/xmlEdit';

const NET = `<network xmlns:dnsmasq='http://libvirt.org/schemas/network/dnsmasq/1.0'>
  <name>n1</name>
  <!-- a comment libvirt would drop, kept here anyway -->
  <metadata>
    <app:info xmlns:app="http://example.org/app"><![CDATA[<not> & parsed]]></app:info>
  </metadata>
  <bridge name="virbr9" stp='on'/>
  <mtu size='1500'/>
  <dnsmasq:options>
    <dnsmasq:option value='dhcp-option=6,1.1.1.1'/>
  </dnsmasq:options>
</network>
`;

test('the tree: names, attributes with either quote, children, offsets', () => {
  const root = parseXmlTree(NET);
  assert.equal(root.name, 'network');
  assert.deepEqual(
    root.children.map((c) => c.name),
    ['name', 'metadata', 'bridge', 'mtu', 'dnsmasq:options'],
  );
  const bridge = child(root, 'bridge')!;
  assert.equal(attr(bridge, 'name'), 'virbr9');
  assert.equal(NET.slice(bridge.start, bridge.end), `<bridge name="virbr9" stp='on'/>`);
  assert.equal(NET.slice(root.start, root.end), NET.trimEnd());
});

test('one attribute changed: every other byte stays', () => {
  const root = parseXmlTree(NET);
  const out = new XmlEdit(NET).setAttr(child(root, 'mtu')!, 'size', '9000').result();
  assert.equal(out, NET.replace("<mtu size='1500'/>", "<mtu size='9000'/>"));
  const quoted = new XmlEdit(NET).setAttr(child(root, 'bridge')!, 'name', `a'b"<&`).result();
  assert.equal(quoted, NET.replace('name="virbr9"', 'name="a&apos;b&quot;&lt;&amp;"'));
  assert.equal(attr(child(parseXmlTree(quoted), 'bridge')!, 'name'), `a'b"<&`, 'escaped values read back as given');
  const added = new XmlEdit(NET).setAttr(child(root, 'bridge')!, 'delay', '2').result();
  assert.equal(added, NET.replace(`stp='on'/>`, `stp='on' delay='2'/>`));
});

test('elements added with their siblings indent, into empty elements too, and removed with their line', () => {
  const root = parseXmlTree(NET);
  const after = new XmlEdit(NET).append(root, "<domain name='lab'/>", child(root, 'mtu')).result();
  assert.equal(after, NET.replace("<mtu size='1500'/>\n", "<mtu size='1500'/>\n  <domain name='lab'/>\n"));
  const removed = new XmlEdit(NET).remove(child(root, 'mtu')!).result();
  assert.equal(removed, NET.replace("  <mtu size='1500'/>\n", ''));
  const empty = '<domain>\n  <devices/>\n</domain>';
  const d = parseXmlTree(empty);
  assert.equal(new XmlEdit(empty).append(child(d, 'devices')!, '<x/>').result(), '<domain>\n  <devices>\n    <x/>\n  </devices>\n</domain>');
  assert.throws(() => new XmlEdit(NET).remove(child(root, 'mtu')!).setAttr(child(root, 'mtu')!, 'size', '1'), /overlapping/);
});

test('what is not well-formed is refused, not guessed at', () => {
  for (const bad of ['<a><b></a>', '<a', "<a x='1>", '<a x=1/>', '<a/><b/>', 'text only', '<a><!-- open </a>']) {
    assert.throws(() => parseXmlTree(bad), XmlSyntaxError, bad);
  }
});
