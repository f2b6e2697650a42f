/** What the tree says about a NIC model: virtio-net is paravirtual and fast; the rest emulate hardware. */

import { isVirtioModel } from '../core/model/queries';

export { isVirtioModel };

/** `virtio` / `emulated` / `unknown`, used in contextValue tokens. */
export function modelClass(model: string | null | undefined): 'virtio' | 'emulated' | 'unknown' {
  if (!model) return 'unknown';
  return isVirtioModel(model) ? 'virtio' : 'emulated';
}

/** A one-line hint for a NIC model, or undefined when nothing needs saying. */
export function modelHint(model: string | null | undefined): string | undefined {
  switch (modelClass(model)) {
    case 'virtio':
      return 'virtio-net: paravirtual, the fast choice';
    case 'emulated':
      return `${model} is emulated hardware: slower than virtio-net, which is the fast choice when the guest has the driver`;
    default:
      return undefined;
  }
}
