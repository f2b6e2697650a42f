/** What a backend needs to know about the host, taken from the model by the dispatcher. */
export interface PersistContext {
  now: Date;
  /** The backend's daemon runs on the host now (so a reload makes sense). */
  running: boolean;
  /** Some interface in the intent carries the current connection. */
  touchesConnection: boolean;
  /** Ports that are tap devices (not NICs), for backends that care. */
  tapPorts: string[];
  /** bridge-utils is installed (ifupdown's bridge_* options need it). */
  brctl: boolean;
}

export function isV6(cidrOrIp: string): boolean {
  return cidrOrIp.includes(':');
}
