"""Story clusters: near-duplicate documents (a wire story republished with light edits).

MinHash signatures over word 5-shingles, indexed with LSH, find candidate
pairs in sub-linear time; pairs above ``THRESHOLD`` estimated Jaccard are
joined. A story's id is the smallest doc_id in its connected component, so
it does not depend on the order in which documents arrived.
"""
from __future__ import annotations

import re

import numpy as np
from datasketch import MinHash, MinHashLSH

NUM_PERM = 64
THRESHOLD = 0.7
SHINGLE = 5
SCHEME = "affine32"  # stored signatures are only comparable under the scheme that made them
_WORD = re.compile(r"\w+")


def signature(text: str) -> np.ndarray:
    words = _WORD.findall(text.lower())
    shingles = {" ".join(words[i:i + SHINGLE]) for i in range(max(1, len(words) - SHINGLE + 1))}
    minhash = MinHash(num_perm=NUM_PERM, seed=1, scheme=SCHEME)
    minhash.update_batch([s.encode("utf-8") for s in shingles])
    return minhash.hashvalues.astype(np.uint64)


def assign_stories(signatures: dict[str, np.ndarray]) -> dict[str, str]:
    """doc_id -> story_id for every document given."""
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
