// An inventory's problems as the operator reads them (file:line:col), or none: what the inventory
// tests of each section assert on.
import { InventoryError, formatProblem } from '../../provision/core/errors.ts';
import { parseAndResolve } from '../../provision/core/inventory/load.ts';

export function inventoryProblems(yaml: string): string[] {
  try {
    parseAndResolve('inventory.yaml', yaml, '/nonexistent', { env: {} });
  } catch (e) {
    if (e instanceof InventoryError) return e.problems.map(formatProblem);
    throw e;
  }
  return [];
}
