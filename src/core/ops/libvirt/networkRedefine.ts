/**
 * Redefining a libvirt network from a whole new definition (forward mode, addresses, bridge,
 * DNS: anything the other edits have no field for): the user edits the host's own definition,
 * and the plan defines the new one (undo: the old one, byte for byte) and, when asked and the
 * network runs, restarts it so the change takes effect, putting running VMs' taps back on the
 * bridge libvirt makes anew. The preview carries the diff of the two definitions; the checks a
 * new network gets (a subnet in use, a bridge taken) run on the new definition first.
 */
import { parseNetworkXml } from '../../collect/parse-network';
import { networkUsers, ownBridgeOf } from '../../model/queries';
import type { HostModel } from '../../model/types';
import { unifiedDiff } from '../../lines';
import { PlanInputError, plan, step, type Plan, type Step } from '../plan';
import { subnetClash, subnetsInUse } from './networkRoom';
import { vmTapsOn } from './networkLife';
import { netDefineStep, networkNamed, virshArgv } from './virsh';
import { child, parseXmlTree, XmlSyntaxError } from './xmlEdit';

export interface NetworkRedefineIntent {
  network: string;
  /** The whole new definition. */
  xml: string;
  /** Restart the running network so the new definition takes effect now. */
  restart: boolean;
}

/** The text of `<name>` in a definition (no entities in a libvirt name: safe names only). */
function textOf(xml: string, el: { openEnd: number; closeStart: number } | undefined): string | null {
  return el ? xml.slice(el.openEnd, el.closeStart).trim() : null;
}

export function planNetworkRedefine(model: HostModel, i: NetworkRedefineIntent): Plan {
  const net = networkNamed(model, i.network);
  const before = net.inactiveXml;
  if (before === null)
    throw new PlanInputError([
      net.persistent
        ? `the definition of network ${net.name} could not be read: refresh and try again`
        : `network ${net.name} is transient (made with net-create): it has no definition to change`,
    ]);
  const problems: string[] = [];
  let root;
  try {
    root = parseXmlTree(i.xml);
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new PlanInputError([`the new definition is ${e.message}`]);
    throw e;
  }
  if (root.name !== 'network') throw new PlanInputError([`the new definition is a <${root.name}>, not a <network>`]);
  const name = textOf(i.xml, child(root, 'name'));
  if (name !== net.name)
    problems.push(
      name === null
        ? 'the new definition has no <name>'
        : `the new definition is named "${name}", not ${net.name}: a new name is a new network (create it, then delete ${net.name})`,
    );
  const uuid = textOf(i.xml, child(root, 'uuid'));
  if (uuid !== null && net.uuid !== null && uuid.toLowerCase() !== net.uuid.toLowerCase())
    problems.push(`the new definition's UUID ${uuid} is not ${net.name}'s (${net.uuid}): leave it as it is, or out`);
  if (i.xml.trim() === before.trim()) problems.push(`the new definition of ${net.name} is the one it has: nothing to change`);

  // The new network as the inventory will read it: its subnets and bridge checked like a new one's.
  const next = parseNetworkXml(i.xml, { uuid: net.uuid ?? '', active: false, autostart: net.autostart, persistent: true }, []);
  const inUse = subnetsInUse(model, net);
  for (const ip of next.ips) {
    const clash = subnetClash(inUse, `${ip.address}/${ip.prefix}`);
    if (clash) problems.push(clash);
  }
  const bridge = ownBridgeOf(next);
  if (bridge !== null && bridge !== ownBridgeOf(net)) {
    if (model.links.some((l) => l.name === bridge))
      problems.push(`an interface named ${bridge} already exists: libvirt could not make it the network's bridge`);
    const other = model.networks.find((n) => n.name !== net.name && n.bridge === bridge);
    if (other) problems.push(`libvirt network ${other.name} already uses the bridge ${bridge}`);
  }
  if (i.restart && !net.active) problems.push(`network ${net.name} is not running: there is nothing to restart (the new definition applies when it starts)`);
  if (problems.length) throw new PlanInputError(problems);

  const uri = model.libvirtUri;
  const diff = unifiedDiff(before, i.xml);
  const define = netDefineStep(uri, net.name, i.xml, before, `the new definition of ${net.name} (the old one is its undo)`, 'new definition');
  const defineWithDiff: Step = { ...define, document: { label: 'The definition, changed (- now, + new)', text: diff } };
  const users = net.active ? networkUsers(model, net) : [];
  const warnings: string[] = [];
  if (net.active && !i.restart)
    warnings.push(`network ${net.name} is running: libvirt keeps running it as it was until it restarts (restart it now to apply the new definition)`);
  const taps = i.restart && bridge ? vmTapsOn(model, net) : [];
  const steps: Step[] = [defineWithDiff];
  if (i.restart) {
    // Stopped before the define, so a failure later undoes in the right order: the old
    // definition back first, then the network started on it.
    steps.unshift(
      step(virshArgv(uri, 'net-destroy', '--network', net.name), `stop ${net.name}`, virshArgv(uri, 'net-start', '--network', net.name), { kind: 'libvirt' }),
    );
    steps.push(
      step(
        virshArgv(uri, 'net-start', '--network', net.name),
        `start ${net.name} on its new definition`,
        virshArgv(uri, 'net-destroy', '--network', net.name),
        {
          kind: 'libvirt',
        },
      ),
    );
    // The running VMs' taps: libvirt leaves them off the bridge it makes anew.
    for (const t of taps)
      steps.push(
        step(['ip', 'link', 'set', 'dev', t.tap, 'master', bridge!], `${t.vm}'s tap ${t.tap} back on ${bridge}`, [
          'ip',
          'link',
          'set',
          'dev',
          t.tap,
          'nomaster',
        ]),
      );
    if (users.length)
      warnings.push(
        `restarting ${net.name} takes the links of ${users.join(', ')} down for a moment; their taps go back on ${bridge ?? 'the network'} at once`,
      );
  }
  return plan(`Redefine network ${net.name}${i.restart ? ' and restart it' : ''}`, steps, {
    warnings,
    before: [{ fact: 'definition', kind: 'network', name: net.name, uri, xml: before }],
    // libvirt prints back an edit of its own dump as it was written; what it changed (a uuid or
    // MAC it added, its quoting) is reported after the run, not hidden.
    after: [
      { fact: 'definition', kind: 'network', name: net.name, uri, xml: i.xml },
      ...(i.restart && bridge
        ? [{ fact: 'link' as const, name: bridge, bridge: true as const }, ...taps.map((t) => ({ fact: 'link' as const, name: t.tap, master: bridge }))]
        : []),
    ],
  });
}
