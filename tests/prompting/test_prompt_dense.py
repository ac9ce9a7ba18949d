"""Dense demonstration selection: a tiny random BERT from a temp folder, the pinned
all-MiniLM-L6-v2 of the ``dense`` extra (when installed), and the errors without it."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_bert_encoder import build_tiny_bert

from mckd.config.llm import PromptConfig
from mckd.core.errors import ConfigError, DataError
from mckd.core.pinned import PINNED_MODELS, PinnedModel, package_folder, verified_folder
from mckd.prompting import Demo, make_selector
from mckd.prompting.dense import DenseSelector
from mckd.prompting.encoders import load_encoder
from mckd.teachers.prompt_builder import make_demo_selector

pytestmark = pytest.mark.slow  # loads transformer encoders

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

WORDS = "the a cat dog sat ran on mat sofa protein binds receptor kinase weather is nice".split()
POOL = [Demo("d1", "the cat sat on the mat", "A"), Demo("d2", "protein binds receptor", "B"),
        Demo("d3", "weather is nice", "C"), Demo("d4", "the dog ran", "D")]
MINILM = PINNED_MODELS["all-MiniLM-L6-v2"]


@pytest.fixture(scope="module")
def tiny_bert(tmp_path_factory) -> Path:
    return build_tiny_bert(tmp_path_factory.mktemp("tiny_bert"), WORDS)


def test_a_tiny_random_bert_from_a_folder_is_a_dense_encoder(tiny_bert):
    encoder = load_encoder(str(tiny_bert), max_length=16)
    vectors = encoder.encode(["the cat sat", "protein binds kinase", "the cat sat"])
    assert vectors.shape == (3, 32)
    assert torch.allclose(vectors.norm(dim=-1), torch.ones(3))
    assert torch.allclose(vectors[0], vectors[2])
    selector = make_selector("dense", POOL, 2, seed=0, encoder=encoder)
    assert isinstance(selector, DenseSelector)
    # a query equal to a demo's input is nearest to it (cosine 1), never to itself by id
    assert selector.select("q", "protein binds receptor")[0].id == "d2"
    assert "d2" not in [d.id for d in selector.select("d2", "protein binds receptor")]
    assert len(selector.select("q", "the cat")) == 2


def test_dense_ranking_is_the_same_batched_or_one_by_one(tiny_bert):
    encoder = load_encoder(str(tiny_bert))
    queries = ["the cat ran", "a dog sat on the sofa", "weather is nice today", "kinase"]
    one_by_one = DenseSelector(POOL, 4, encoder)
    batched = DenseSelector(list(reversed(POOL)), 4, encoder)  # pool order must not matter
    batched.prepare(queries)
    for i, query in enumerate(queries):
        assert one_by_one.select(f"q{i}", query) == batched.select(f"q{i}", query)


def test_dense_selection_through_the_prompt_config(tiny_bert):
    prompt = PromptConfig(num_demos=3, selection="dense",
                          dense={"encoder": str(tiny_bert), "max_length": 16})
    selector = make_demo_selector(prompt, POOL, seed=0)
    assert [d.id for d in selector.select("q", "weather is nice")][:1] == ["d3"]
    assert "dense" in prompt.model_dump()
    assert "dense" not in PromptConfig().model_dump()  # off: not in fingerprints


def test_an_unloadable_encoder_names_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="prompt.dense.encoder"):
        load_encoder(str(tmp_path))  # an empty folder
    with pytest.raises(ConfigError, match="no folder '/no/such/encoder'"):
        load_encoder("/no/such/encoder")
    with pytest.raises(ConfigError, match="unknown pinned model 'pinned:nope'.*all-MiniLM"):
        load_encoder("pinned:nope")
    with pytest.raises(ConfigError, match="needs an encoder"):
        make_selector("dense", POOL, 2, seed=0)


def test_without_the_extra_the_error_names_it(monkeypatch):
    monkeypatch.setattr("mckd.core.pinned.package_folder", lambda package: None)
    with pytest.raises(ConfigError, match=r"optional extra 'dense': pip install 'mckd\[dense\]'"):
        load_encoder("pinned:all-MiniLM-L6-v2")


def test_pinned_files_are_hash_checked_and_the_package_is_never_imported(tmp_path, monkeypatch):
    package = tmp_path / "mckd_fake_pinned_pkg"
    (package / "model").mkdir(parents=True)
    (package / "__init__.py").write_text("raise RuntimeError('must never be imported')\n")
    (package / "model" / "config.json").write_text("{}")
    monkeypatch.syspath_prepend(str(tmp_path))
    import hashlib

    good = hashlib.sha256(b"{}").hexdigest()
    model = PinnedModel("fake", "mckd_fake_pinned_pkg", "model", "dense", {"config.json": good})
    assert verified_folder(model) == package / "model"
    tampered = PinnedModel("fake", "mckd_fake_pinned_pkg", "model", "dense",
                           {"config.json": "0" * 64})
    with pytest.raises(DataError, match="differs from the pinned 0000.*not loaded"):
        verified_folder(tampered)
    missing = PinnedModel("fake", "mckd_fake_pinned_pkg", "model", "dense", {"vocab.txt": good})
    with pytest.raises(DataError, match="vocab.txt: file of pinned:fake is missing"):
        verified_folder(missing)


needs_extra = pytest.mark.skipif(
    package_folder(MINILM.package) is None,
    reason="the optional extra 'dense' is not installed (pip install 'mckd[dense]')")


@needs_extra
def test_pinned_minilm_finds_semantic_neighbours():
    pool = [Demo("cat", "The cat sleeps on the couch .", "A"),
            Demo("stocks", "Stock markets fell sharply today .", "B"),
            Demo("protein", "The protein binds to the receptor .", "C"),
            Demo("rain", "It will rain tomorrow in Paris .", "D")]
    prompt = PromptConfig(num_demos=4, selection="dense")
    selector = make_demo_selector(prompt, pool, seed=0)
    nearest = {query: selector.select("q", query)[0].id for query in (
        "A kitten is napping on the sofa .", "Share prices dropped on Wall Street .",
        "Showers are expected over the weekend .", "This enzyme attaches to its ligand .")}
    assert list(nearest.values()) == ["cat", "stocks", "rain", "protein"], nearest
