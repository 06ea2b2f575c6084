"""Exact and near-duplicate groups: SHA-256 of the bytes and 64-bit perceptual hashes (pHash).

Near-duplicate pairs are all pairs whose pHashes differ in at most ``hash_distance`` bits,
found with vectorised XOR + popcount over row blocks; groups are their connected components
(union-find), so a chain of near-duplicates forms one lesion group.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

_BLOCK = 512  # rows per block of the pairwise distance matrix (512 x N uint8)


def phash64(rgb: np.ndarray) -> int:
    """64-bit perceptual hash (imagehash.phash, 8x8 DCT bits) of an RGB uint8 image."""
    import imagehash
    from PIL import Image

    bits = imagehash.phash(Image.fromarray(rgb)).hash.flatten()
    return int(np.packbits(bits.astype(np.uint8)).view(">u8")[0])


def near_pairs(hashes: np.ndarray, max_distance: int) -> np.ndarray:
    """(P, 2) index pairs ``i < j`` whose 64-bit hashes differ in at most ``max_distance`` bits."""
    h = np.asarray(hashes, dtype=np.uint64)
    out = []
    for start in range(0, len(h), _BLOCK):
        block = h[start : start + _BLOCK]
        dist = np.bitwise_count(block[:, None] ^ h[None, :])
        rows, cols = np.nonzero(dist <= max_distance)
        rows = rows + start
        keep = rows < cols
        out.append(np.stack([rows[keep], cols[keep]], axis=1))
    return np.concatenate(out) if out else np.zeros((0, 2), dtype=np.int64)


class UnionFind:
    """Disjoint sets over ``0..n-1`` with path halving."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        ri, rj = self.find(i), self.find(j)
        if ri != rj:
            self.parent[max(ri, rj)] = min(ri, rj)

    def components(self) -> list[list[int]]:
        """Members of every set, each sorted, ordered by their smallest member."""
        groups: dict[int, list[int]] = {}
        for i in range(len(self.parent)):
            groups.setdefault(self.find(i), []).append(i)
        return sorted(groups.values(), key=lambda g: g[0])


def exact_groups(digests: Sequence[str]) -> list[list[int]]:
    """Indices of byte-identical files, groups of two or more."""
    by_digest: dict[str, list[int]] = {}
    for i, d in enumerate(digests):
        by_digest.setdefault(d, []).append(i)
    return sorted((g for g in by_digest.values() if len(g) > 1), key=lambda g: g[0])


def lesion_groups(
    digests: Sequence[str],
    hashes: np.ndarray,
    *,
    max_distance: int | None,
    given: Sequence[str] = (),
) -> tuple[list[int], int]:
    """Group id of every image and the number of near-duplicate pairs linked.

    Byte-identical files always share a group; pHash pairs within ``max_distance`` are linked
    when it is not ``None``; images with the same non-empty ``given`` group are linked too.
    """
    n = len(digests)
    uf = UnionFind(n)
    for group in exact_groups(digests):
        for j in group[1:]:
            uf.union(group[0], j)
    pairs = near_pairs(hashes, max_distance) if max_distance is not None and n else []
    for i, j in pairs:
        uf.union(int(i), int(j))
    first: dict[str, int] = {}
    for i, g in enumerate(given):
        if g:
            uf.union(first.setdefault(g, i), i)
    ids = [0] * n
    for gid, members in enumerate(uf.components()):
        for i in members:
            ids[i] = gid
    return ids, len(pairs)
