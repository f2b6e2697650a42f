/**
 * How an approved change ended, in one value a message, the form and the tests all read. Shared
 * by the commands and the forms (the forms' protocol carries it to the webview).
 */

export type OutcomeKind = 'applied' | 'failed' | 'rolled-back' | 'unreachable' | 'cancelled' | 'refused' | 'lost' | 'error';

export const OUTCOME_KINDS: readonly OutcomeKind[] = ['applied', 'failed', 'rolled-back', 'unreachable', 'cancelled', 'refused', 'lost', 'error'];

export interface Outcome {
  kind: OutcomeKind;
  /** One sentence for the user. */
  message: string;
  /** stderr, the host's rollback record, or what changed on the host; may be empty. */
  detail: string;
  /** The plan's journal on the host, when it reached the host. */
  journal?: string;
}
