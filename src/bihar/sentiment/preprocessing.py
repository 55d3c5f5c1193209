"""Configurable cleaning, normalisation and tokenisation of French reviews, all offline.

Choices (justified and ablated in the notebook):
- cleaning: HTML entities and tags (inline tags such as <b> removed, others read as a space),
  URLs, typographic apostrophes and quotes, repeated punctuation;
- normalisation: lower case, Unicode NFC, optional accent stripping (reviews often drop accents);
- tokenisation: spaCy's blank French tokenizer (rule-based, handles elision such as « l' » and
  « aujourd'hui ») or an equivalent, faster regular expression used for the large corpus;
- elided forms are expanded (« n' » → « ne », « l' » → « le ») so that they meet their full forms;
- stop words: spaCy's French list *minus* negations and intensifiers (« pas », « ne », « jamais »,
  « rien », « très », « trop »…), which carry sentiment;
- optional lemmatisation (simplemma) or Snowball stemming (PyStemmer).
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

log = logging.getLogger(__name__)

#: Words of the stop list that carry sentiment and are therefore kept.
NEGATIONS = frozenset(
    {"ne", "n'", "pas", "jamais", "rien", "aucun", "aucune", "ni", "non", "nul", "nulle",
     "personne", "point", "guère", "sans", "plus"}
)  # fmt: skip
INTENSIFIERS = frozenset({"très", "trop", "peu", "moins", "bien", "mal", "mieux", "assez"})

ELISIONS = {
    "c'": "ce", "d'": "de", "j'": "je", "l'": "le", "m'": "me", "n'": "ne", "s'": "se",
    "t'": "te", "qu'": "que", "jusqu'": "jusque", "lorsqu'": "lorsque", "puisqu'": "puisque",
    "quoiqu'": "quoique",
}  # fmt: skip

_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "«": '"', "»": '"'})
_HTML_TAG = re.compile(r"<[^>]{0,200}>")
#: Inline tags sit inside words and sentences (« <b>bon</b>. »): removed without a space.
_INLINE_TAG = re.compile(
    r"</?(?:a|abbr|b|big|cite|em|font|i|mark|small|span|strong|sub|sup|u)\b[^>]{0,200}>",
    re.IGNORECASE,
)
_URL = re.compile(r"https?://\S+|www\.\S+")
_REPEATED_PUNCT = re.compile(r"([!?.])\1{1,}")
_SPACES = re.compile(r"\s+")
_ELISION = r"(?:jusqu|lorsqu|puisqu|quoiqu|qu|[cdjlmnst])'"
_TOKEN = re.compile(rf"{_ELISION}|\w+(?:['-]\w+)*|[!?]", re.IGNORECASE)

Tokenizer = Literal["spacy", "regex"]
Reduction = Literal["none", "simplemma", "snowball"]


@dataclass(frozen=True)
class PreprocessConfig:
    """One preprocessing pipeline; each field is one ablation axis."""

    tokenizer: Tokenizer = "spacy"
    lowercase: bool = True
    strip_accents: bool = False
    expand_elisions: bool = True
    remove_stopwords: bool = True
    keep_negations: bool = True
    keep_exclamations: bool = True
    reduction: Reduction = "none"
    min_length: int = 1

    @property
    def name(self) -> str:
        parts = [self.tokenizer]
        if self.strip_accents:
            parts.append("noaccents")
        if self.remove_stopwords:
            parts.append("stop-keepneg" if self.keep_negations else "stop-all")
        if self.reduction != "none":
            parts.append(self.reduction)
        return "+".join(parts)


def clean(text: str) -> str:
    """Remove markup and URLs, unify apostrophes/quotes, collapse repeated punctuation."""
    if not isinstance(text, str):
        return ""
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text).translate(_APOSTROPHES)
    text = _INLINE_TAG.sub("", text)
    text = _HTML_TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    text = _REPEATED_PUNCT.sub(r"\1", text)
    return _SPACES.sub(" ", text).strip()


def strip_accents(text: str) -> str:
    """« élève » → « eleve » (ç → c, œ kept as a letter)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def regex_tokenize(text: str) -> list[str]:
    """Elision-aware tokens: « l'histoire » → ["l'", "histoire"], « aujourd'hui » kept whole."""
    return _TOKEN.findall(text)


class Preprocessor:
    """Callable turning a review into a list of tokens according to a `PreprocessConfig`."""

    def __init__(self, config: PreprocessConfig | None = None) -> None:
        self.config = config or PreprocessConfig()

    @cached_property
    def _spacy_tokenizer(self):  # type: ignore[no-untyped-def]
        import spacy

        return spacy.blank("fr").tokenizer

    @cached_property
    def stopwords(self) -> frozenset[str]:
        from spacy.lang.fr.stop_words import STOP_WORDS

        words = {w.replace("’", "'") for w in STOP_WORDS}
        words |= set(ELISIONS.values())
        if self.config.keep_negations:
            words -= NEGATIONS | INTENSIFIERS
        return frozenset(words)

    @cached_property
    def _stemmer(self):  # type: ignore[no-untyped-def]
        import Stemmer

        return Stemmer.Stemmer("french")

    def _raw_tokens(self, text: str) -> list[str]:
        if self.config.tokenizer == "spacy":
            return [t.text for t in self._spacy_tokenizer(text) if not t.is_space]
        return regex_tokenize(text)

    def tokens(self, text: str) -> list[str]:
        cfg = self.config
        text = clean(text)
        if not text:
            return []
        if cfg.lowercase:
            text = text.lower()
        out: list[str] = []
        for tok in self._raw_tokens(text):
            tok = tok.replace("’", "'")
            if cfg.expand_elisions and tok.lower() in ELISIONS:
                tok = ELISIONS[tok.lower()]
            if tok in {"!", "?"}:
                if cfg.keep_exclamations:
                    out.append(tok)
                continue
            if not any(ch.isalnum() for ch in tok):
                continue
            if cfg.remove_stopwords and tok in self.stopwords:
                continue
            if len(tok) < cfg.min_length:
                continue
            out.append(tok)
        if cfg.reduction == "simplemma":
            import simplemma

            out = [simplemma.lemmatize(t, lang="fr") if t.isalpha() else t for t in out]
        elif cfg.reduction == "snowball":
            out = self._stemmer.stemWords(out)
        if cfg.strip_accents:
            out = [strip_accents(t) for t in out]
        return out

    def __call__(self, text: str) -> list[str]:
        return self.tokens(text)

    def batch(self, texts: Iterable[str]) -> list[list[str]]:
        return [self.tokens(t) for t in texts]

    def joined(self, texts: Iterable[str]) -> list[str]:
        """Space-joined tokens, the input of the scikit-learn vectorizers."""
        return [" ".join(toks) for toks in self.batch(texts)]


def french_share(tokens: list[str]) -> float:
    """Share of tokens that are French function words: a cheap language check (0 if empty)."""
    if not tokens:
        return 0.0
    from spacy.lang.fr.stop_words import STOP_WORDS

    function_words = STOP_WORDS | set(ELISIONS.values())
    return sum(t.lower() in function_words for t in tokens) / len(tokens)
