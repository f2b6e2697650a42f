/**
 * The operation catalog: every change VirtNet makes, in one table. The CLI (src/cli/catalog.ts)
 * and VS Code (src/commands/catalog.ts) are generated from it; a unit test checks package.json
 * against it. Adding an operation: its planner, one entry here (or in an area's file), its
 * package.json block, its tests (docs/architecture.md).
 */
import { BRIDGE_OPS } from './bridge';
import { FORWARD_OPS } from './forward';
import { NETWORK_OPS } from './network';
import { NIC_OPS } from './nic';
import { TAP_OPS } from './tap';
import type { OpCommand, Operation } from './types';

export * from './types';

export const CATALOG: readonly Operation[] = [...BRIDGE_OPS, ...TAP_OPS, ...NETWORK_OPS, ...NIC_OPS, ...FORWARD_OPS];

/** The areas, in the order the CLI's usage lists them. */
export const AREAS = [...new Set(CATALOG.map((o) => o.area))];

export function operation(id: string): Operation | undefined {
  return CATALOG.find((o) => o.id === id);
}

/** The operation `virtnet <area> <word>` runs. */
export function operationForCli(area: string, word: string): Operation | undefined {
  return CATALOG.find((o) => o.area === area && o.cli === word);
}

/** Every VS Code command of the catalog with its operation. */
export function catalogCommands(): { op: Operation; command: OpCommand }[] {
  return CATALOG.flatMap((op) => op.commands.map((command) => ({ op, command })));
}
