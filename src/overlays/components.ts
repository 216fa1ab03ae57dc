/**
 * The graph questions every layer asks of an overlay: which members its links join into one
 * piece, and whether a full mesh is complete. One connected component is the property every
 * overlay must keep (a broadcast cannot reach a member outside the origin's component), so the
 * simulator, the operator's verification, the sidecar's metrics and the benches all answer it
 * here. Pure; links are taken as undirected (see {@link mutualLinks} for links both ends list) and
 * links to nodes outside `nodes` are ignored.
 */

/**
 * The connected components of the graph whose vertices are `nodes` and whose edges are the links
 * of `views` (node → the nodes it links to), largest first; nodes keep their order within each
 * component, and components of equal size keep the order of their first node.
 */
export function components<N>(nodes: readonly N[], views: ReadonlyMap<N, Iterable<N>>): N[][] {
  const index = new Map<N, number>(nodes.map((n, i) => [n, i]));
  const parent = nodes.map((_, i) => i);
  const find = (i: number): number => {
    while (parent[i] !== i) {
      parent[i] = parent[parent[i] as number] as number;
      i = parent[i] as number;
    }
    return i;
  };
  for (const [n, view] of views) {
    const i = index.get(n);
    if (i === undefined) continue;
    for (const peer of view) {
      const j = index.get(peer);
      if (j !== undefined) parent[find(i)] = find(j);
    }
  }
  const byRoot = new Map<number, N[]>();
  nodes.forEach((n, i) => {
    const r = find(i);
    const list = byRoot.get(r);
    if (list === undefined) byRoot.set(r, [n]);
    else list.push(n);
  });
  return [...byRoot.values()].sort((a, b) => b.length - a.length);
}

/** True when the links of `views` join all of `nodes` into one piece (trivially so for 0 or 1 node). */
export function connected<N>(nodes: readonly N[], views: ReadonlyMap<N, Iterable<N>>): boolean {
  return components(nodes, views).length <= 1;
}

/**
 * The links of `views` that both ends list, for callers that count a link only once both ends
 * agree on it (a Plumtree link is a tree link only while both ends keep it eager; a half-open
 * HyParView link carries nothing back). Pass the result to {@link components}.
 */
export function mutualLinks<N>(views: ReadonlyMap<N, Iterable<N>>): Map<N, N[]> {
  const sets = new Map<N, Set<N>>();
  for (const [n, view] of views) sets.set(n, new Set(view));
  const out = new Map<N, N[]>();
  for (const [n, view] of sets)
    out.set(
      n,
      [...view].filter((peer) => sets.get(peer)?.has(n) === true),
    );
  return out;
}

/**
 * Members of `members` whose view lacks some other member: a full mesh is formed only when this
 * is empty.
 */
export function incompleteMeshMembers<N>(members: readonly N[], views: ReadonlyMap<N, Iterable<N>>): N[] {
  const out: N[] = [];
  for (const m of members) {
    const view = new Set(views.get(m) ?? []);
    if (members.some((n) => n !== m && !view.has(n))) out.push(m);
  }
  return out;
}
