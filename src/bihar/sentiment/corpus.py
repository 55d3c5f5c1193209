"""A large external French corpus, obtainable offline from Debian packages.

`stardict-xmlittre` holds Émile Littré's dictionary (1863-1877, public domain): definitions and
~290,000 literary quotations, about 10 million words; `manpages-fr`, `libreoffice-help-fr` and
`lilypond-doc-html-fr` add modern (technical) French.
`apt-get download` + `dpkg -x` unpack them into the cache without installing anything; the text
is cleaned of markup, split into sentences and tokenised with the same regular-expression
tokenizer as the reviews, one sentence per line. Build it (and its word2vec vectors) with

    python -m bihar.sentiment.corpus            # or: make sentiment-corpus
"""

from __future__ import annotations

import argparse
import gzip
import html
import logging
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from bihar.sentiment.preprocessing import PreprocessConfig, Preprocessor
from bihar.settings import get_settings

log = logging.getLogger(__name__)

PACKAGES = ("stardict-xmlittre", "manpages-fr", "libreoffice-help-fr", "lilypond-doc-html-fr")
#: The tokenisation shared by the corpus, the in-domain vectors and the review encodings.
W2V_CONFIG = PreprocessConfig(tokenizer="regex", remove_stopwords=False, keep_exclamations=False)

_TAG = re.compile(r"<[^>]{0,300}>")
_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.DOTALL | re.IGNORECASE)
_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_ROFF_ESCAPE = re.compile(r"\\f(?:\[[A-Z]*\]|[BIRP])|\\\(..|\\[&e]|\\s[+-]?\d")


class CorpusError(RuntimeError):
    """The corpus cannot be built (apt-get missing, package not found, empty text)."""


@dataclass(frozen=True)
class CorpusStats:
    path: Path
    sentences: int
    tokens: int
    sources: tuple[str, ...]


def corpus_dir() -> Path:
    return get_settings().cache_dir / "sentiment" / "corpus"


def corpus_path() -> Path:
    return corpus_dir() / "fr_corpus.txt"


def download_packages(packages: tuple[str, ...], dest: Path) -> dict[str, Path]:
    """`apt-get download` each package into `dest` and `dpkg -x` it to `dest/<package>/`."""
    dest.mkdir(parents=True, exist_ok=True)
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        raise CorpusError("apt-get/dpkg not found: the corpus needs a Debian-based system")
    roots: dict[str, Path] = {}
    for package in packages:
        root = dest / package
        if not root.is_dir():
            debs = list(dest.glob(f"{package}_*.deb"))
            if not debs:
                log.info("apt-get download %s", package)
                done = subprocess.run(
                    ["apt-get", "download", package], cwd=dest, capture_output=True, text=True
                )
                debs = list(dest.glob(f"{package}_*.deb"))
                if done.returncode != 0 or not debs:
                    raise CorpusError(f"apt-get download {package} failed: {done.stderr.strip()}")
            subprocess.run(["dpkg", "-x", str(debs[0]), str(root)], check=True)
        roots[package] = root
    return roots


def littre_text(root: Path) -> Iterator[str]:
    """Plain-text paragraphs of the Littré dictionary (StarDict `.dict.dz` is gzip)."""
    files = list(root.rglob("*.dict.dz"))
    if not files:
        raise CorpusError(f"no .dict.dz file under {root}")
    with gzip.open(files[0]) as fh:
        raw = fh.read().decode("utf-8", errors="replace")
    raw = html.unescape(_TAG.sub(" ", raw.replace("</i>", "</i>\n")))
    yield from raw.splitlines()


def manpages_text(root: Path) -> Iterator[str]:
    """Text lines of the French manual pages, roff requests and escapes removed."""
    for page in sorted(root.rglob("*.gz")):
        if "/man/" not in str(page):
            continue
        try:
            with gzip.open(page) as fh:
                lines = fh.read().decode("utf-8", errors="replace").splitlines()
        except (OSError, EOFError):
            log.warning("skipping unreadable manual page %s", page)
            continue
        for line in lines:
            if line.startswith((".", "'", '\\"')):
                head, _, rest = line.partition(" ")
                if head in {".B", ".I", ".BR", ".IR", ".BI", ".SH", ".SS"}:
                    line = rest
                else:
                    continue
            yield _ROFF_ESCAPE.sub("", line).replace("\\-", "-")


def html_text(root: Path) -> Iterator[str]:
    """Text lines of HTML documentation (scripts, styles and tags removed)."""
    for page in sorted(root.rglob("*.html")):
        raw = page.read_text(encoding="utf-8", errors="replace")
        raw = _SCRIPT.sub(" ", raw)
        raw = raw.replace("</p>", "</p>\n").replace("<br", "\n<br").replace("</li>", "</li>\n")
        yield from html.unescape(_TAG.sub(" ", raw)).splitlines()


EXTRACTORS = {
    "stardict-xmlittre": littre_text,
    "manpages-fr": manpages_text,
    "libreoffice-help-fr": html_text,
    "lilypond-doc-html-fr": html_text,
}


def build_corpus(
    packages: tuple[str, ...] = PACKAGES, out: Path | None = None, force: bool = False
) -> CorpusStats:
    """Download, extract and tokenise the packages into one sentence-per-line file (cached)."""
    out = out or corpus_path()
    if out.is_file() and not force:
        sentences, tokens = 0, 0
        with out.open(encoding="utf-8") as fh:
            for line in fh:
                sentences += 1
                tokens += line.count(" ") + 1
        log.info("corpus cached at %s: %d sentences, %d tokens", out, sentences, tokens)
        return CorpusStats(out, sentences, tokens, packages)
    roots = download_packages(packages, out.parent / "debs")
    pre = Preprocessor(W2V_CONFIG)
    start = time.perf_counter()
    sentences, tokens = 0, 0
    tmp = out.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        for package, root in roots.items():
            for paragraph in EXTRACTORS[package](root):
                for sentence in _SENTENCE_END.split(paragraph):
                    toks = pre.tokens(sentence)
                    if len(toks) >= 3:
                        fh.write(" ".join(toks) + "\n")
                        sentences += 1
                        tokens += len(toks)
            log.info("%s done: %d sentences, %d tokens so far", package, sentences, tokens)
    if tokens == 0:
        raise CorpusError(f"no text extracted from {packages}")
    tmp.replace(out)
    log.info("corpus %s built in %.0f s", out, time.perf_counter() - start)
    return CorpusStats(out, sentences, tokens, packages)


class LineSentences:
    """Restartable iterator over the corpus file (gensim streams it epoch after epoch)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __iter__(self) -> Iterator[list[str]]:
        with self.path.open(encoding="utf-8") as fh:
            for line in fh:
                yield line.split()


def main(argv: list[str] | None = None) -> None:
    from bihar.sentiment.word2vec import corpus_vectors

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--force", action="store_true", help="rebuild even when cached")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args(argv)
    logging.basicConfig(level=get_settings().log_level, format="%(asctime)s %(name)s %(message)s")
    stats = build_corpus(force=args.force)
    log.info("corpus: %d sentences, %d tokens", stats.sentences, stats.tokens)
    corpus_vectors(epochs=args.epochs, force=args.force)


if __name__ == "__main__":
    main()
