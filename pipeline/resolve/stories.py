"""Story clusters: near-duplicate documents (a wire story republished with light edits).

MinHash signatures over word 5-shingles, indexed with LSH, find candidate
pairs in sub-linear time; pairs above ``THRESHOLD`` estimated Jaccard are
joined. A story's id is the smallest doc_id in its connected component, so
it does not depend on the order in which documents arrived.

``assign_stories`` computes the clusters of a whole corpus; ``merge_stories``
adds one load's documents to the stored clusters and gives the same result.
"""
from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from typing import Iterable, Mapping

import numpy as np

from pipeline.models import StoryUpdate

NUM_PERM = 64
THRESHOLD = 0.7
SHINGLE = 5
SCHEME = "affine32"  # stored signatures are only comparable under the scheme that made them
# The banding MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM) chooses (tests/unit/test_bench_scaling.py
# checks they agree): two signatures are LSH candidates when any band of LSH_ROWS values is equal.
LSH_BANDS, LSH_ROWS = 8, 8
_WORD = re.compile(r"\w+")


@lru_cache(maxsize=1)
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """datasketch's affine32 permutations for seed 1 (``MinHash._init_permutations``), drawn once."""
    gen = np.random.RandomState(1)
    a = gen.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return a, b


def _fmix32(hv: np.ndarray) -> np.ndarray:
    """The MurmurHash3 finalizer datasketch pre-mixes affine32 inputs with (uint32 wraparound)."""
    hv = hv ^ (hv >> np.uint32(16))
    hv = hv * np.uint32(0x85EBCA6B)
    hv = hv ^ (hv >> np.uint32(13))
    hv = hv * np.uint32(0xC2B2AE35)
    return hv ^ (hv >> np.uint32(16))


def similar(a: np.ndarray, b: np.ndarray) -> bool:
    """Estimated Jaccard >= THRESHOLD, computed exactly as ``MinHash.jaccard`` does."""
    return np.float64(np.count_nonzero(a == b)) / np.float64(len(a)) >= THRESHOLD


def signature(text: str) -> np.ndarray:
    """The MinHash signature datasketch gives (``MinHash(num_perm=64, seed=1, scheme="affine32")`` fed the
    UTF-8 shingles, default SHA-1 hash), computed with numpy alone: no datasketch import, no per-document
    permutation draw. tests/unit/test_bench_scaling.py checks it equals datasketch's."""
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    sha1 = hashlib.sha1
    digests = b"".join([sha1(s.encode()).digest()[:4] for s in shingles])  # a list joins faster than a generator
    hv = _fmix32(np.frombuffer(digests, dtype="<u4").astype(np.uint32)).reshape(-1, 1)
    a, b = _permutations()
    with np.errstate(over="ignore"):
        phv = hv * a + b  # uint32 arithmetic: the wraparound is the modulo 2^32
    return phv.min(axis=0).astype(np.uint64)


def assign_stories(signatures: dict[str, np.ndarray]) -> dict[str, str]:
    """doc_id -> story_id for every document given (the whole-corpus computation; loads merge incrementally)."""
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    minhashes = {}
    for doc_id in sorted(signatures):
        minhashes[doc_id] = MinHash(num_perm=NUM_PERM, seed=1, hashvalues=signatures[doc_id], scheme=SCHEME)
        lsh.insert(doc_id, minhashes[doc_id])
    parent = {doc_id: doc_id for doc_id in signatures}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for doc_id, minhash in minhashes.items():
        for other in lsh.query(minhash):
            # LSH returns candidates; the estimate keeps only true near-duplicates.
            if other != doc_id and minhash.jaccard(minhashes[other]) >= THRESHOLD:
                a, b = find(doc_id), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    return {doc_id: find(doc_id) for doc_id in signatures}


def merge_stories(pending: Iterable[str], pairs: Iterable[tuple[str, str]], signatures: Mapping[str, np.ndarray],
                  story_of: Mapping[str, str]) -> StoryUpdate:
    """Merge the ``pending`` documents (signed, in no story yet) into the stored story clusters.

    Incremental, and equal to recomputing ``assign_stories`` over every signature: the stored
    stories are the components of the near-duplicate graph on the earlier documents, so only edges
    with a pending document are new. ``pairs`` are the LSH candidates of the pending documents
    (pairs with an equal band of ``LSH_ROWS`` values, as MinHashLSH finds them), ``signatures``
    those of every document in a pair and ``story_of`` the stored story of each earlier one. Each
    pair is checked with the same Jaccard estimate, and the touched stories merge under the smallest
    doc_id. The cost grows with the new documents and their candidates, not with the corpus.
    """
    # Union-find over stories: an earlier document stands for its story, whose id is its smallest doc_id.
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        if similar(signatures[a], signatures[b]):
            ra, rb = find(story_of.get(a, a)), find(story_of.get(b, b))
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    assigned = {doc_id: find(doc_id) for doc_id in sorted(set(pending))}
    merged = {old: find(old) for old in sorted(set(story_of.values())) if find(old) != old}
    return StoryUpdate(assigned, merged)
