/** The port-forward operations of the catalog: a host port to a guest's port on a NAT or routed network. */
import { ephemeralClash, planForwardAdd, planForwardAdopt, planForwardReapply, planForwardRemove } from '../forward/plan';
import { parsePortSpec, type ForwardProto } from '../forward/state';
import { arg, type Args, type Operation } from './types';

/** Why taking these host ports needs insisting: the kernel's ephemeral range (VS Code asks). */
function ephemeral(model: Parameters<Operation['plan']>[0], a: Args): string[] {
  const spec = parsePortSpec(arg.str(a, 'ports'));
  const clash = typeof spec === 'string' ? null : ephemeralClash(model, spec);
  return clash ? [`ports in ${clash}`] : [];
}

export const FORWARD_OPS: readonly Operation[] = [
  {
    id: 'forward.add',
    area: 'forward',
    cli: 'add',
    summary: "Forward a host port (or up to 64) to a guest's port on a NAT or routed libvirt network; it survives guest, network and libvirtd restarts",
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM' },
      { name: 'ports', kind: 'portSpec', positional: true, placeholder: '<hostport[-end]:guestport>', description: 'e.g. 19922:22' },
      { name: 'proto', kind: 'proto', placeholder: 'tcp|udp', description: 'the protocol (default tcp)' },
      { name: 'nic', kind: 'nic', placeholder: '<mac>', description: 'the guest NIC, when it has more than one on NAT or routed networks' },
      { name: 'hostAddress', kind: 'ip', placeholder: '<ip>', description: "only connections to this address of the host's" },
      { name: 'fromHost', kind: 'flag', description: 'also from the host itself (a DNAT in nat OUTPUT)' },
      {
        name: 'hairpin',
        kind: 'flag',
        description: "also from the network's other guests through the host's address (masqueraded, so the VM answers through the host)",
      },
      { name: 'force', kind: 'force', description: 'take a port in the ephemeral range anyway' },
      {
        name: 'restartLibvirt',
        kind: 'restartLibvirt',
        description: "restart libvirt's daemon(s) now when they have not seen a hook since they started (running guests keep running)",
      },
    ],
    insist: ephemeral,
    plan: (model, a) => ({
      plan: planForwardAdd(model, {
        vm: arg.str(a, 'domain'),
        ports: arg.str(a, 'ports'),
        proto: (arg.opt(a, 'proto') ?? 'tcp') as ForwardProto,
        ...(arg.opt(a, 'nic') ? { mac: arg.str(a, 'nic') } : {}),
        ...(arg.opt(a, 'hostAddress') ? { hostAddress: arg.str(a, 'hostAddress') } : {}),
        fromHost: arg.bool(a, 'fromHost'),
        hairpin: arg.bool(a, 'hairpin'),
        force: arg.bool(a, 'force'),
        restartLibvirt: arg.bool(a, 'restartLibvirt'),
      }),
    }),
    commands: [
      {
        id: 'virtnet.forward.add',
        title: 'Forward a Port...',
        icon: 'arrow-swap',
        ask: ['domain', 'ports', 'proto', 'force', 'restartLibvirt'],
        targets: ['domain', 'nic'],
      },
    ],
  },
  {
    id: 'forward.remove',
    area: 'forward',
    cli: 'remove',
    summary: "Stop forwarding a host port (or range) to a VM; the last forward takes VirtNet's rules, script and hooks away",
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM' },
      { name: 'port', kind: 'forwardedPort', positional: true, placeholder: '<hostport[-end]>[/udp]', description: 'its forwarded host port(s)' },
    ],
    plan(model, a) {
      const [ports, proto] = arg.str(a, 'port').split('/');
      return { plan: planForwardRemove(model, arg.str(a, 'domain'), ports ?? '', (proto ?? 'tcp') as ForwardProto) };
    },
    commands: [{ id: 'virtnet.forward.remove', title: 'Remove Port Forward', icon: 'trash', ask: ['domain', 'port'], targets: ['forwardedPort'] }],
  },
  {
    id: 'forward.reapply',
    area: 'forward',
    cli: 'reapply',
    summary:
      "Put every port forward back into the firewall after something rebuilt it without libvirt's hooks (a firewalld reload, a network daemon restarted alone)",
    args: [],
    plan: (model) => ({ plan: planForwardReapply(model) }),
    commands: [{ id: 'virtnet.forward.reapply', title: 'Re-apply Port Forwards', icon: 'refresh', ask: [], targets: ['forwardedPort'] }],
  },
  {
    id: 'forward.adopt',
    area: 'forward',
    cli: 'adopt',
    summary: 'Turn a DNAT rule written by hand (iptables -t nat PREROUTING) into a VirtNet forward that survives restarts, and delete the rule',
    args: [
      { name: 'domain', kind: 'domain', positional: true, placeholder: '<vm>', description: 'the VM the rule forwards to' },
      { name: 'port', kind: 'handForward', positional: true, placeholder: '<hostport>[/udp]', description: "the rule's host port" },
    ],
    plan: (model, a) => ({ plan: planForwardAdopt(model, arg.str(a, 'domain'), arg.str(a, 'port')) }),
    commands: [{ id: 'virtnet.forward.adopt', title: 'Adopt Port Forward', icon: 'pass', ask: ['domain', 'port'], targets: ['handForward'] }],
  },
];
