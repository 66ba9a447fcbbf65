"""Connected components of a graph given as edge arrays (union-find over compacted ids)."""
from __future__ import annotations

import numpy as np


def components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the nodes that appear in any edge (a[i], b[i]): the sorted node ids, and for each
    the smallest node id of its component. Memory and time follow the edges, not the corpus."""
    nodes, inverse = np.unique(np.concatenate((a, b)), return_inverse=True)
    ia, ib = inverse[: len(a)].tolist(), inverse[len(a):].tolist()
    parent = list(range(len(nodes)))

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    for x, y in zip(ia, ib):
        rx, ry = find(x), find(y)
        if rx != ry:
            # The smaller index becomes the root: roots are then the components' smallest
            # nodes (nodes are sorted), whatever order the edges came in.
            if rx < ry:
                parent[ry] = rx
            else:
                parent[rx] = ry
    roots = np.fromiter((find(x) for x in range(len(nodes))), dtype=np.int64, count=len(nodes))
    return nodes, nodes[roots]
