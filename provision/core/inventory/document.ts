// The inventory as a YAML document that remembers where every value came from, so that any
// problem found later (by the schema, by a rule, by secret resolution) can name file:line:col.
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Problem } from '../errors.ts';

export type YamlPath = readonly (string | number)[];

export interface InventoryDocument {
  file: string;
  data: unknown;
  /** Where a path points in the source; falls back to the deepest ancestor that exists. */
  locate(path: YamlPath, which?: 'key' | 'value'): { line: number; col: number };
  problem(path: YamlPath, message: string, which?: 'key' | 'value'): Problem;
}

export function dottedPath(path: YamlPath): string {
  return path.map(String).join('.');
}

/** Parse YAML text; syntax errors come back as problems with their positions. */
export function parseInventory(file: string, text: string): { doc?: InventoryDocument; problems: Problem[] } {
  const lineCounter = new LineCounter();
  const atStart = (message: string) => ({ problems: [{ file, line: 1, col: 1, message }] });
  let doc: Document;
  let data: unknown;
  try {
    // yaml's own duplicate-key check compares every pair of keys (minutes on a large file), and
    // compares values, so `1` and "1" -- one key once converted -- slipped through: checked below instead.
    doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: false });
    const problems: Problem[] = [...doc.errors, ...doc.warnings].map((e) => {
      const pos = lineCounter.linePos(e.pos[0]);
      return { file, line: pos.line, col: pos.col, message: `YAML: ${e.message.split('\n')[0]}` };
    });
    problems.push(...duplicateKeys(doc).map((offset) => ({ file, ...lineCounter.linePos(offset), message: 'YAML: duplicate key (keys compare as text: 1 and "1" are the same host)' })));
    if (problems.length > 0) return { problems };
    // An alias expanded more than this many times is an alias bomb, not an inventory.
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    if (e instanceof RangeError) return atStart('YAML: nested too deeply to be an inventory');
    if (/alias/i.test((e as Error).message)) return atStart('YAML: aliases expand to too much data (an alias bomb?)');
    throw e;
  }
  const problems: Problem[] = [];

  const position = (offset: number) => lineCounter.linePos(offset);
  const locate = (path: YamlPath, which: 'key' | 'value' = 'value') => {
    const range = rangeOf(doc, path, which);
    return range ? position(range) : { line: 1, col: 1 };
  };
  return {
    problems,
    doc: {
      file,
      data,
      locate,
      problem(path, message, which) {
        const { line, col } = locate(path, which);
        return { file, line, col, path: path.length ? dottedPath(path) : undefined, message };
      },
    },
  };
}

/** Offsets of keys that repeat an earlier key of the same mapping (as text), in one pass over the document. */
function duplicateKeys(doc: Document): number[] {
  const found: number[] = [];
  const stack: unknown[] = [doc.contents];
  while (stack.length) {
    const node = stack.pop();
    if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
        if (key !== undefined && seen.has(key)) found.push((pair.key as Node).range?.[0] ?? 0);
        if (key !== undefined) seen.add(key);
        stack.push(pair.value);
      }
    } else if (isSeq(node)) {
      stack.push(...node.items);
    }
  }
  return found.sort((a, b) => a - b);
}

/** Offset of the node at `path` (its key or its value), or of the nearest ancestor that exists. */
function rangeOf(doc: Document, path: YamlPath, which: 'key' | 'value'): number | undefined {
  let node: unknown = doc.contents;
  let found = (doc.contents as Node | null)?.range?.[0];
  // A problem with a whole mapping (a missing key, say) reads best at the mapping's own key.
  let keyOfNode: number | undefined;
  for (const [i, segment] of path.entries()) {
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) return found;
      const keyNode = pair.key as Node;
      if (last && which === 'key') return keyNode.range?.[0];
      const value = pair.value as Node | null;
      found = value?.range?.[0] ?? keyNode.range?.[0];
      keyOfNode = keyNode.range?.[0];
      node = value;
    } else if (isSeq(node) && /^\d+$/.test(String(segment))) {
      const item = node.items[Number(segment)] as Node | undefined;
      if (!item) return found;
      found = item.range?.[0];
      keyOfNode = undefined;
      node = item;
    } else {
      return found;
    }
  }
  return (isMap(node) || isSeq(node)) && keyOfNode !== undefined ? keyOfNode : found;
}
