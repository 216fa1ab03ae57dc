/**
 * The simulator's per-direction link records, in one open-addressing hash table of typed arrays.
 *
 * Every message consults the record of its (sender, receiver) direction: is the link open, to which
 * incarnation of the peer, and when did the last message queued on it arrive (FIFO). With 10,000
 * nodes those lookups are random memory accesses; a `Map` per node plus one object per link cost
 * about a third of a run in cache misses, this table about a fifth of that. Records are never
 * removed (a closed or broken link keeps its slot, state {@link LinkTable.NONE}), so memory is bounded by
 * the number of distinct pairs that ever talked, and there are no tombstones.
 *
 * A record's `gen` changes whenever the link is reopened, so an event about an older connection
 * (a delayed break notice) can tell that it no longer applies.
 */

/** Link records keyed by (owner, peer) node indexes. */
export class LinkTable {
  /** No link (never opened, or forgotten after a crash). */
  static readonly NONE = 0;
  /** Open: messages flow. */
  static readonly OPEN = 1;
  /** Closed by its owner (`disconnect`); the next send reopens it. */
  static readonly CLOSED = 2;
  /** Broken: a `linkDown` is on its way to the owner; sends are dropped until it arrives. */
  static readonly BROKEN = 3;

  private capacity: number;
  private used = 0;
  private owner: Int32Array;
  private peer: Int32Array;
  /** Link state, one of the constants above. */
  state: Uint8Array;
  /** Incarnation of the peer the link was opened to. */
  peerInc: Int32Array;
  /** Generation: bumped on every (re)open. */
  gen: Int32Array;
  /** Arrival time of the last message queued on this direction. */
  lastArrival: Float64Array;
  /** Record slots owned by each node, for crash and partition sweeps. */
  private readonly byOwner: number[][] = [];

  constructor(initialCapacity = 1 << 16) {
    this.capacity = initialCapacity;
    this.owner = new Int32Array(initialCapacity).fill(-1);
    this.peer = new Int32Array(initialCapacity);
    this.state = new Uint8Array(initialCapacity);
    this.peerInc = new Int32Array(initialCapacity);
    this.gen = new Int32Array(initialCapacity);
    this.lastArrival = new Float64Array(initialCapacity);
  }

  /** The slot of (owner, peer), or -1 if they never had a record. */
  find(owner: number, peer: number): number {
    const mask = this.capacity - 1;
    let s = hash(owner, peer) & mask;
    while (true) {
      const o = this.owner[s] as number;
      if (o === -1) return -1;
      if (o === owner && this.peer[s] === peer) return s;
      s = (s + 1) & mask;
    }
  }

  /** Makes room for `n` more records now, so that the next `n` {@link slot} calls keep earlier slot numbers valid. */
  reserve(n: number): void {
    while ((this.used + n) * 2 > this.capacity) this.grow();
  }

  /** The slot of (owner, peer), creating an empty record (state NONE) if needed. Creating may grow the table and renumber slots unless {@link reserve}d. */
  slot(owner: number, peer: number): number {
    const found = this.find(owner, peer);
    if (found >= 0) return found;
    if ((this.used + 1) * 2 > this.capacity) this.grow();
    const mask = this.capacity - 1;
    let s = hash(owner, peer) & mask;
    while ((this.owner[s] as number) !== -1) s = (s + 1) & mask;
    this.owner[s] = owner;
    this.peer[s] = peer;
    this.used++;
    let list = this.byOwner[owner];
    if (list === undefined) {
      list = [];
      this.byOwner[owner] = list;
    }
    list.push(s);
    return s;
  }

  /** Marks `s` open to incarnation `peerInc` (a new connection: the generation changes). */
  open(s: number, peerInc: number): void {
    this.state[s] = LinkTable.OPEN;
    this.peerInc[s] = peerInc;
    this.gen[s] = (this.gen[s] as number) + 1;
  }

  /** The peer index of slot `s`. */
  peerOf(s: number): number {
    return this.peer[s] as number;
  }

  /** Calls `fn(slot, peer)` for every record `owner` has. */
  forEachOf(owner: number, fn: (s: number, peer: number) => void): void {
    const list = this.byOwner[owner];
    if (list === undefined) return;
    for (const s of list) fn(s, this.peer[s] as number);
  }

  private grow(): void {
    const old = {
      owner: this.owner,
      peer: this.peer,
      state: this.state,
      peerInc: this.peerInc,
      gen: this.gen,
      lastArrival: this.lastArrival,
      capacity: this.capacity,
    };
    this.capacity *= 2;
    this.owner = new Int32Array(this.capacity).fill(-1);
    this.peer = new Int32Array(this.capacity);
    this.state = new Uint8Array(this.capacity);
    this.peerInc = new Int32Array(this.capacity);
    this.gen = new Int32Array(this.capacity);
    this.lastArrival = new Float64Array(this.capacity);
    const moved = new Int32Array(old.capacity).fill(-1);
    const mask = this.capacity - 1;
    for (let i = 0; i < old.capacity; i++) {
      const o = old.owner[i] as number;
      if (o === -1) continue;
      const p = old.peer[i] as number;
      let s = hash(o, p) & mask;
      while ((this.owner[s] as number) !== -1) s = (s + 1) & mask;
      this.owner[s] = o;
      this.peer[s] = p;
      this.state[s] = old.state[i] as number;
      this.peerInc[s] = old.peerInc[i] as number;
      this.gen[s] = old.gen[i] as number;
      this.lastArrival[s] = old.lastArrival[i] as number;
      moved[i] = s;
    }
    for (const list of this.byOwner) {
      if (list === undefined) continue;
      for (let k = 0; k < list.length; k++) list[k] = moved[list[k] as number] as number;
    }
  }
}

function hash(owner: number, peer: number): number {
  let h = Math.imul(owner, 0x9e3779b1) ^ Math.imul(peer + 0x7f4a7c15, 0x85ebca6b);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  return (h ^ (h >>> 13)) >>> 0;
}
