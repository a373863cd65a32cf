/**
 * The engine's tasks and reservations by SID: an open-addressing hash table (linear probing,
 * deletion by backward shift, so no tombstones) over records that carry their own SID.
 *
 * Why not a Map: every decision creates a task or a reservation under a SID the generator has just
 * made, and V8 hashes a string the first time it is used as a key through a call into the runtime,
 * ~400 ns on its own, more than the rest of the insert. Here the hash is a few dozen multiplications in
 * JavaScript, kept beside each slot (`hashes`) so a probe compares numbers and reads a record only
 * when the numbers match. It is also smaller than a Map of the same records: one pointer and four
 * bytes a slot, against three pointers an entry plus buckets.
 *
 * Invariants: `slots[i]` is undefined exactly when slot i is empty; a record sits in the run of
 * occupied slots that starts at or before its home slot (`hash & mask`) with no empty slot between;
 * at most three quarters of the slots are occupied, so probes stay short and there is always an empty
 * slot to end them.
 */
export class SidTable<V extends { readonly sid: string }> {
  private mask = MIN_SLOTS - 1;
  private slots: Array<V | undefined> = new Array<V | undefined>(MIN_SLOTS).fill(undefined);
  private hashes = new Int32Array(MIN_SLOTS);
  private count = 0;

  /** @param creationOrder numbers the records in the order they were added, for `values()`. */
  constructor(private readonly creationOrder: (value: V) => number) {}

  get size(): number {
    return this.count;
  }

  get(sid: string): V | undefined {
    const hash = hashSid(sid);
    const { mask, slots, hashes } = this;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const value = slots[i];
      if (value === undefined) return undefined;
      if (hashes[i] === hash && value.sid === sid) return value;
    }
  }

  /**
   * Adds a record, replacing the one with the same SID if there is one. Returns the SID's hash, for
   * `deleteExact` to find the record later without reading its SID.
   */
  set(value: V): number {
    if ((this.count + 1) * 4 > this.slots.length * 3) this.resize(this.slots.length * 2);
    const hash = hashSid(value.sid);
    const { mask, slots, hashes } = this;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const there = slots[i];
      if (there === undefined) {
        slots[i] = value;
        hashes[i] = hash;
        this.count++;
        return hash;
      }
      if (hashes[i] === hash && there.sid === value.sid) {
        slots[i] = value;
        return hash;
      }
    }
  }

  delete(sid: string): boolean {
    const hash = hashSid(sid);
    const { mask, slots, hashes } = this;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const value = slots[i];
      if (value === undefined) return false;
      if (hashes[i] === hash && value.sid === sid) return this.removeAt(i);
    }
  }

  /**
   * Deletes this very record, if it is in, found by the hash `set` returned for it: compares slots by
   * identity, so the record and its SID, long out of the processor's caches, are not read.
   */
  deleteExact(value: V, hash: number): boolean {
    const { mask, slots } = this;
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const there = slots[i];
      if (there === undefined) return false;
      if (there === value) return this.removeAt(i);
    }
  }

  /** Empties a slot, closing the hole it leaves in its run. */
  private removeAt(hole: number): true {
    const { mask, slots, hashes } = this;
    // Each later record of the run moves back into the hole unless its home slot lies (cyclically)
    // in (hole, i], where moving it would put it before its home, out of reach of lookups.
    for (let i = (hole + 1) & mask; slots[i] !== undefined; i = (i + 1) & mask) {
      const home = hashes[i]! & mask;
      const homeAfterHole = hole < i ? home > hole && home <= i : home > hole || home <= i;
      if (!homeAfterHole) {
        slots[hole] = slots[i];
        hashes[hole] = hashes[i]!;
        hole = i;
      }
    }
    slots[hole] = undefined;
    this.count--;
    if (this.count * 8 < slots.length && slots.length > MIN_SLOTS) this.resize(slots.length / 2);
    return true;
  }

  /**
   * The records `keep` accepts (every one by default), in the order they were added: chosen before
   * they are sorted, so a query for a few sorts only those. A copy: the table may change meanwhile.
   */
  values(keep?: (value: V) => boolean): V[] {
    const result: V[] = [];
    for (const value of this.slots) if (value !== undefined && (!keep || keep(value))) result.push(value);
    return result.sort((a, b) => this.creationOrder(a) - this.creationOrder(b));
  }

  /** Every record, in no particular order, for scans that need none. The table must not change meanwhile. */
  *unordered(): Iterable<V> {
    for (const value of this.slots) if (value !== undefined) yield value;
  }

  private resize(slots: number): void {
    const old = this.slots;
    this.slots = new Array<V | undefined>(slots).fill(undefined);
    this.hashes = new Int32Array(slots);
    this.mask = slots - 1;
    this.count = 0;
    for (const value of old) if (value !== undefined) this.set(value);
  }
}

const MIN_SLOTS = 16;

/**
 * FNV-1a over the SID's last 8 characters, with a final mix of the high bits into the low ones the
 * mask keeps. Equal strings hash alike whatever their length; for SIDs the last 8 of the 32 hex
 * digits are where generated SIDs differ: the low 32 bits of the counter of sequential ones, 32 of
 * the random bits of time-ordered and random ones. More characters cost time on every lookup and
 * spread no better over tables of at most a few million slots.
 */
export function hashSid(sid: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, sid.length - 8); i < sid.length; i++)
    hash = Math.imul(hash ^ sid.charCodeAt(i), 0x01000193);
  return hash ^ (hash >>> 16);
}
