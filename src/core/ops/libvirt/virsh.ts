/**
 * libvirt steps: virsh with the model's libvirt URI named in every command, and the XML documents
 * virsh reads from a file handed over as one argv word (written to a private temporary file on
 * the host and removed after), so no XML ever passes through a shell's parsing.
 */
import type { HostModel, Network } from '../../model/types';
import { DISPLAY_MAX, PlanInputError, step, type Step } from '../plan';

/** `$1` is the document; the rest is the virsh command, which gets the file as its last word. */
const WITH_FILE = 'f=$(mktemp) || exit 1; x=$1; shift; printf "%s" "$x" > "$f" && "$@" "$f"; r=$?; rm -f "$f"; exit $r';

/** A step's one-line display, shortened (a long VM name) to what previews take. */
export function fitDisplay(text: string): string {
  return text.length <= DISPLAY_MAX ? text : `${text.slice(0, DISPLAY_MAX - 1)}…`;
}

/** The network `name` of the model, or the refusal every libvirt planner gives. */
export function networkNamed(model: HostModel, name: string): Network {
  const net = model.networks.find((n) => n.name === name);
  if (!net) throw new PlanInputError([`${model.info.hostname} has no libvirt network named "${name}"`]);
  return net;
}

/**
 * `virsh net-update` of one section with one element: live when the network runs, in its
 * definition when it has one (libvirt changes both at once).
 */
export function netUpdateArgv(model: HostModel, net: Network, command: 'add-last' | 'delete', section: string, xml: string): string[] {
  return virshArgv(
    model.libvirtUri,
    'net-update',
    '--network',
    net.name,
    '--command',
    command,
    '--section',
    section,
    '--xml',
    xml,
    ...(net.active ? ['--live'] : []),
    ...(net.persistent ? ['--config'] : []),
  );
}

export function virshArgv(uri: string, ...args: string[]): string[] {
  return ['virsh', '-q', '-c', uri, ...args];
}

/** virsh `args` with `xml` in a file as its last argument. */
export function virshWithXmlArgv(uri: string, xml: string, ...args: string[]): string[] {
  return ['sh', '-c', WITH_FILE, 'virtnet-xml', xml, ...virshArgv(uri, ...args)];
}

/** A step that defines (or redefines) a network from `xml`; undone by defining `previous`. */
export function netDefineStep(uri: string, name: string, xml: string, previous: string | null, why: string, what: string): Step {
  return step(virshWithXmlArgv(uri, xml, 'net-define', '--file'), why, previous === null ? null : virshWithXmlArgv(uri, previous, 'net-define', '--file'), {
    kind: 'libvirt',
    display: fitDisplay(`virsh net-define ${name} (${what})`),
  });
}
