"""Connected components of a graph given as edge arrays (scipy's csgraph over compacted ids)."""
from __future__ import annotations

import numpy as np
from scipy.sparse import coo_array
from scipy.sparse.csgraph import connected_components


def components(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For the nodes that appear in any edge (a[i], b[i]): the sorted node ids, and for each
    the smallest node id of its component. Memory and time follow the edges, not the corpus."""
    nodes, inverse = np.unique(np.concatenate((a, b)), return_inverse=True)
    n = len(nodes)
    if n == 0:
        return nodes, nodes.copy()
    graph = coo_array((np.ones(len(a), dtype=np.int8), (inverse[: len(a)], inverse[len(a):])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    # Nodes are sorted, so a component's first index holds its smallest node: the root,
    # whatever order the edges came in.
    _, first = np.unique(labels, return_index=True)
    return nodes, nodes[first[labels]]
