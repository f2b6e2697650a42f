/**
 * Where the forms plug in: the catalog's commands open a form by id (`bridge`) without importing
 * the forms, and the forms use the flow without importing the commands; extension.ts connects
 * them here.
 */
import type { HostSession } from '../hosts/session';
import type { CommandContext } from './context';

/** Opens a form on `session` in `mode`, with fields the command already knows (a NIC). */
export type FormOpener = (ctx: CommandContext, session: HostSession, mode: string, preset: Record<string, string>) => Promise<void>;

const openers = new Map<string, FormOpener>();

export function registerFormOpener(id: string, open: FormOpener): void {
  openers.set(id, open);
}

export function formOpener(id: string): FormOpener {
  const open = openers.get(id);
  if (!open) throw new Error(`no form "${id}" is registered`);
  return open;
}
