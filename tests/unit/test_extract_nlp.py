import pytest

from pipeline.nlp import ModelNotFound, load_nlp, resolve_model_name


def test_pipeline_is_cached_and_has_project_components():
    nlp = load_nlp()
    assert nlp is load_nlp()
    for name in ("country_gazetteer", "ner_fixes", "event_triggers"):
        assert name in nlp.pipe_names


def test_ner_fixes_on_seed_sentence():
    doc = load_nlp()("Trump imposed an additional 25 per cent ad valorem tariff on Indian goods.")
    ents = {(e.text, e.label_) for e in doc.ents}
    assert not any(t == "valorem" for t, _ in ents)
    assert any(label == "PERCENT" and "25 per cent" in t for t, label in ents)
    assert [s.label_ for s in doc.spans["triggers"]] == ["tariff"]
    assert [s.label_ for s in doc.spans["countries"]] == ["USA", "IND"]


def test_model_resolution_order(monkeypatch):
    monkeypatch.setenv("PIPELINE_SPACY_MODEL", "from_env")
    assert resolve_model_name("explicit") == "explicit"
    assert resolve_model_name() == "from_env"


def test_missing_model_error_says_how_to_fix(monkeypatch):
    with pytest.raises(ModelNotFound, match="PIPELINE_SPACY_MODEL"):
        load_nlp("no_such_model_xyz")
