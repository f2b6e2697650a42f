/**
 * Which interfaces carry the session to the host: found from the session's own addresses and the
 * kernel's route back to the client (HostModel.connection), not guessed from interface names.
 */
import type { HostModel } from '../model/types';

/**
 * The route's interface, the bridge it is a port of, and, when it is a bridge, its ports that can
 * lead off the host (taps lead to local VMs, so they are left out).
 */
export function connectionLinks(model: HostModel): Set<string> {
  const dev = model.connection?.dev;
  if (!dev) {
    return new Set();
  }
  const links = new Set([dev]);
  const link = model.links.find((l) => l.name === dev);
  if (link?.master) {
    links.add(link.master);
  }
  for (const l of model.links) {
    if (l.master === dev && l.portKind !== 'tap') {
      links.add(l.name);
    }
  }
  return links;
}

/**
 * Whether changing `ifname` may cut the session. With an SSH session but no known route, every
 * interface holding an address is suspect; without any session nothing remote can be lost.
 */
export function touchesConnection(model: HostModel, ifname: string): boolean {
  if (!model.connection) {
    return false;
  }
  if (!model.connection.dev) {
    return (model.links.find((l) => l.name === ifname)?.addresses.length ?? 0) > 0;
  }
  return connectionLinks(model).has(ifname);
}
