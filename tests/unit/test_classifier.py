"""The event model's linear text classifier: fitting, prediction, and its plain-data storage."""
from __future__ import annotations

import json

import numpy as np
import pytest

from pipeline.extract.classifier import Settings, TextClassifier

SETTINGS = Settings(ngram_max=2, min_df=1, C=10.0)

TALKS = ["ministers held talks", "the leaders met for talks", "talks were held by envoys", "envoys met"]
OTHER = ["grain prices rose", "the harvest was poor", "prices of wheat fell", "rain hit the harvest"]


def _multi_label():
    texts = TALKS + OTHER
    cats = [{"meeting": 1.0, "tariff": 0.0} for _ in TALKS] + [{"meeting": 0.0, "tariff": 0.0} for _ in OTHER]
    return texts, cats


def test_multi_label_scores_each_label_on_its_own():
    texts, cats = _multi_label()
    cats[0]["tariff"] = 1.0
    clf = TextClassifier(["meeting", "tariff"], exclusive=False, settings=SETTINGS).fit(texts, cats)
    talk, price = clf.predict(["the envoys held talks", "wheat prices rose"])
    assert talk["meeting"] > 0.5 > price["meeting"]
    assert set(talk) == {"meeting", "tariff"}
    # independent yes/no models: the probabilities need not sum to one
    assert abs(talk["meeting"] + talk["tariff"] - 1.0) > 0.05


def test_a_label_missing_from_a_texts_cats_leaves_the_text_out_of_that_label():
    texts, cats = _multi_label()
    known = TextClassifier(["meeting", "tariff"], exclusive=False, settings=SETTINGS).fit(texts, cats)
    # the talk texts are marked "not a meeting": with the label dropped from them instead, the
    # meeting model learns from the other texts only, all negative, and never predicts a meeting
    unknown = [dict(c) for c in cats]
    for c in unknown[:len(TALKS)]:
        del c["meeting"]
    dropped = TextClassifier(["meeting", "tariff"], exclusive=False, settings=SETTINGS).fit(texts, unknown)
    assert known.predict(["ministers held talks"])[0]["meeting"] > 0.5
    assert dropped.predict(["ministers held talks"])[0]["meeting"] < 0.01


def test_exclusive_classes_sum_to_one_and_match_scikit_learn():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = TALKS + OTHER
    labels = ["imposer", "target", "none"]
    ys = ["imposer", "imposer", "target", "target", "none", "none", "none", "imposer"]
    clf = TextClassifier(labels, exclusive=True, settings=SETTINGS).fit(texts, [{l: float(l == y) for l in labels}
                                                                              for y in ys])
    probe = ["talks were held", "the harvest rose"]
    got = clf.predict(probe)
    assert all(abs(sum(p.values()) - 1.0) < 1e-9 for p in got)
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    ref = LogisticRegression(C=10.0, max_iter=3000).fit(vec.fit_transform(texts), ys)
    want = ref.predict_proba(vec.transform(probe))
    for row, p in zip(want, got):
        for lab, value in zip(ref.classes_, row):
            assert abs(p[lab] - value) < 1e-6


def test_two_present_classes_give_the_fitted_sigmoid_and_unseen_labels_nothing():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    texts = TALKS + OTHER
    labels = ["announced", "imposed", "removed"]
    ys = ["imposed"] * 4 + ["removed"] * 4
    clf = TextClassifier(labels, exclusive=True, settings=SETTINGS).fit(texts, [{l: float(l == y) for l in labels}
                                                                              for y in ys])
    vec = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    ref = LogisticRegression(C=10.0, max_iter=3000).fit(vec.fit_transform(texts), ys)
    got = clf.predict(["envoys held talks"])[0]
    want = dict(zip(ref.classes_, ref.predict_proba(vec.transform(["envoys held talks"]))[0]))
    assert abs(got["imposed"] - want["imposed"]) < 1e-6
    assert got["announced"] < 1e-6


def test_saved_classifier_is_plain_data_and_predicts_the_same(tmp_path):
    texts, cats = _multi_label()
    clf = TextClassifier(["meeting", "tariff"], exclusive=False, settings=SETTINGS).fit(texts, cats)
    clf.to_disk(tmp_path / "detect")
    assert sorted(p.name for p in (tmp_path / "detect").iterdir()) == ["classifier.json", "weights.npz"]
    meta = json.loads((tmp_path / "detect" / "classifier.json").read_text())
    assert "talks" in meta["terms"] and len(meta["terms"]) == len(meta["idf"])
    with np.load(tmp_path / "detect" / "weights.npz", allow_pickle=False) as w:
        assert w["coef"].shape == (2, len(meta["terms"]))
    loaded = TextClassifier.load(tmp_path / "detect")
    probe = ["ministers met", "an unseen sentence", ""]
    for a, b in zip(clf.predict(probe), loaded.predict(probe)):
        assert a.keys() == b.keys()
        assert all(abs(a[k] - b[k]) < 1e-5 for k in a)


def test_loading_a_folder_without_a_classifier_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match="make train"):
        TextClassifier.load(tmp_path)


def test_loading_another_format_names_the_fix(tmp_path):
    texts, cats = _multi_label()
    TextClassifier(["meeting", "tariff"], exclusive=False, settings=SETTINGS).fit(texts, cats).to_disk(tmp_path)
    meta = json.loads((tmp_path / "classifier.json").read_text())
    meta["format"] = 99
    (tmp_path / "classifier.json").write_text(json.dumps(meta))
    with pytest.raises(ValueError, match="format 99.*make train"):
        TextClassifier.load(tmp_path)


def test_fitting_without_examples_or_with_one_class_says_why():
    with pytest.raises(ValueError, match="no training examples"):
        TextClassifier(["a", "b"], exclusive=True).fit([], [])
    with pytest.raises(ValueError, match="one label only"):
        TextClassifier(["a", "b"], exclusive=True, settings=SETTINGS).fit(TALKS, [{"a": 1.0, "b": 0.0}] * 4)


def test_empty_input_predicts_nothing_and_an_unfitted_classifier_refuses():
    clf = TextClassifier(["a"], exclusive=False)
    assert clf.predict([]) == []
    with pytest.raises(RuntimeError, match="fit"):
        clf.predict(["x"])
