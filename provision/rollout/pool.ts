// Run work over items, at most `parallel` at once, in the items' order: the one worker pool that
// the rollout (one host's converge each) and `status` (one host's status each) share.

/**
 * Calls `work` for each item, `parallel` at a time (at least one), each worker taking the next
 * item as it finishes the last. Once `stop()` says so, no further item starts; those running finish.
 */
export async function inPool<T>(items: readonly T[], parallel: number, work: (item: T) => Promise<void>, stop: () => boolean = () => false): Promise<void> {
  let next = 0; // an index, not queue.shift(): shifting a long array copies what is left
  const worker = async () => {
    while (next < items.length && !stop()) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, items.length)) }, worker));
}
