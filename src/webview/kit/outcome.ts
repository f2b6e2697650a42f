/** How an apply ended, as every form shows it under its buttons. */
import type { Outcome } from '../../forms/protocol';
import { h } from './dom';

export function drawOutcome(box: HTMLElement, o: Outcome | undefined): void {
  box.hidden = !o;
  if (!o) return;
  box.className = `result ${o.kind}`;
  box.replaceChildren(h('p', { id: 'result-message' }, o.message), ...(o.detail ? [h('pre', { id: 'result-detail' }, o.detail)] : []));
}
