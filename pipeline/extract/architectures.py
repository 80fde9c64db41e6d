"""Model architectures for the event classifiers, registered with spaCy's registry.

``pipeline.NormalisedBOW.v1`` is spaCy's bag-of-n-grams text classifier with one change: each
document's n-gram counts are scaled to unit length before the sparse linear layer. With a few
thousand labelled sentences, the unscaled model lets long sentences and rare n-grams dominate
and memorises its training set; on the scaled features, weight decay acts as the L2 penalty of
a logistic regression and the model generalises to unseen wording.

``spacy train --code pipeline/extract/architectures.py`` makes the architecture known to
training; ``pipeline.extract.learned`` imports this module before loading a trained model.
"""
from __future__ import annotations

from typing import List, Optional

from spacy.attrs import ORTH
from spacy.ml.extract_ngrams import extract_ngrams
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Logistic, Model, SparseLinear_v2, chain, with_cpu
from thinc.types import Floats2d


def _unit_length() -> Model:
    def forward(model: Model, X, is_train: bool):
        keys, vals, lengths = X
        ops = model.ops
        squares = vals * vals
        ends = ops.xp.cumsum(lengths)
        sums = ops.xp.add.reduceat(squares, ops.xp.concatenate([ops.xp.zeros(1, dtype=ends.dtype), ends[:-1]])) \
            if len(vals) else ops.xp.zeros(len(lengths), dtype=vals.dtype)
        # reduceat repeats the next value for empty segments; documents without n-grams have norm 1
        sums = ops.xp.where(lengths > 0, sums, 1.0)
        norms = ops.xp.sqrt(ops.xp.repeat(sums, lengths)).astype(vals.dtype)
        return (keys, vals / norms, lengths), lambda dY: dY

    return Model("unit_length", forward)


@registry.layers("pipeline.softmax_activation.v1")
def softmax_activation() -> Model:
    def forward(model: Model, X: Floats2d, is_train: bool):
        e = model.ops.xp.exp(X - X.max(axis=1, keepdims=True))
        Y = e / e.sum(axis=1, keepdims=True)

        def backprop(dY):
            return Y * (dY - (dY * Y).sum(axis=1, keepdims=True))

        return Y, backprop

    return Model("softmax_activation", forward)


@registry.architectures("pipeline.NormalisedBOW.v1")
def build_normalised_bow(exclusive_classes: bool, ngram_size: int, length: int = 262144,
                         nO: Optional[int] = None) -> Model[List[Doc], Floats2d]:
    sparse = SparseLinear_v2(nO=nO, length=length)
    output = softmax_activation() if exclusive_classes else Logistic()
    model = chain(with_cpu(chain(extract_ngrams(ngram_size, attr=ORTH), _unit_length(), sparse), sparse.ops),
                  output)
    if nO is not None:
        model.set_dim("nO", nO)
    model.set_ref("output_layer", sparse)
    model.attrs["multi_label"] = not exclusive_classes
    return model
