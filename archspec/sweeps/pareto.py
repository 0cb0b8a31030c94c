"""The Pareto front of (params, MACs) points: the variants no other variant beats on one count without
losing on the other."""
from __future__ import annotations

from typing import Sequence


def pareto_flags(points: Sequence[tuple[int, int]]) -> list[bool]:
    """For each (params, macs) point, whether it is on the front: no other point has at most its params
    and at most its MACs with fewer of one. Equal points are on the front together. O(n log n)."""
    order = sorted(range(len(points)), key=lambda i: points[i])
    flags = [False] * len(points)
    best = None  # the fewest MACs among points with fewer params than the group at hand
    i = 0
    while i < len(order):
        params = points[order[i]][0]
        j = i
        while j < len(order) and points[order[j]][0] == params:
            j += 1
        fewest = points[order[i]][1]  # the group is sorted by MACs
        if best is None or fewest < best:
            for k in order[i:j]:
                flags[k] = points[k][1] == fewest
            best = fewest
        i = j
    return flags
