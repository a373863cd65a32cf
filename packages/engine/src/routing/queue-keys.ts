import {
  isScalar,
  readAttribute,
  type AttributeKey,
  type Attributes,
  type Scalar,
} from "../expressions/index.ts";

interface PathIndex<Q> {
  path: ReadonlyArray<string | number>;
  /** Queues with a `has` key on this path, by the key's value. */
  has: Map<Scalar, Set<Q>>;
  /** Queues with an `equals` key on this path, by the key's value. */
  equals: Map<Scalar, Set<Q>>;
}

/**
 * Queues by the keys of their TargetWorkers (see `CompiledExpression.keys`), so a worker whose
 * attributes change is tested against the queues it may belong to instead of all of them: with 200
 * queues of `skills HAS '…'`, three or so.
 *
 * `FilterIndex` reads workflow filters' keys the same way.
 *
 * Invariant: `candidates(attributes)` contains every queue whose TargetWorkers can be true for those
 * attributes — the unkeyed queues, and each keyed queue one of whose keys the attributes satisfy.
 * A keyed queue left out has an expression that is false for them, since its keys are a necessary
 * condition.
 */
export class QueueKeys<Q> {
  private readonly unkeyed = new Set<Q>();
  private readonly paths = new Map<string, PathIndex<Q>>();
  /** Each keyed queue's keys, to take it out again. */
  private readonly keysOf = new Map<Q, readonly AttributeKey[]>();

  /** Indexes a queue under its TargetWorkers' keys, replacing what it was indexed under before. */
  set(queue: Q, keys: readonly AttributeKey[] | undefined): void {
    this.delete(queue);
    if (keys === undefined) {
      this.unkeyed.add(queue);
      return;
    }
    this.keysOf.set(queue, keys);
    for (const key of keys) {
      let index = this.paths.get(key.pathText);
      if (!index)
        this.paths.set(key.pathText, (index = { path: key.path, has: new Map(), equals: new Map() }));
      const byValue = key.test === "has" ? index.has : index.equals;
      let queues = byValue.get(key.value);
      if (!queues) byValue.set(key.value, (queues = new Set()));
      queues.add(queue);
    }
  }

  delete(queue: Q): void {
    this.unkeyed.delete(queue);
    for (const key of this.keysOf.get(queue) ?? []) {
      const index = this.paths.get(key.pathText)!;
      const byValue = key.test === "has" ? index.has : index.equals;
      const queues = byValue.get(key.value)!;
      queues.delete(queue);
      if (queues.size === 0) byValue.delete(key.value);
      if (index.has.size === 0 && index.equals.size === 0) this.paths.delete(key.pathText);
    }
    this.keysOf.delete(queue);
  }

  /** The queues whose TargetWorkers may hold for these worker attributes (see the invariant). */
  candidates(attributes: Attributes): Set<Q> {
    const found = new Set(this.unkeyed);
    for (const index of this.paths.values()) {
      const value = readAttribute(attributes, index.path);
      if (Array.isArray(value)) {
        for (const item of value) {
          if (isScalar(item)) for (const queue of index.has.get(item) ?? []) found.add(queue);
        }
      } else if (isScalar(value)) {
        for (const queue of index.equals.get(value) ?? []) found.add(queue);
      }
    }
    return found;
  }
}
