from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from bihar.sentiment import corpus
from bihar.sentiment.corpus import CorpusError, LineSentences, build_corpus


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """A debs/ folder as `download_packages` leaves it: one unpacked tree per package."""
    debs = tmp_path / "corpus" / "debs"
    dic = debs / "stardict-xmlittre" / "usr" / "share" / "stardict" / "dic"
    dic.mkdir(parents=True)
    with gzip.open(dic / "XMLittre.dict.dz", "wb") as fh:
        fh.write(
            b'<i><small>(a-sou-vir) v. a.</small></i> Rassasier. <span foreground="#0000CD">'
            b"L'ambition d&eacute;pla\xc3\xaet quand elle est assouvie</span>, <b>CORN.</b>\n"
        )
    man = debs / "manpages-fr" / "usr" / "share" / "man" / "fr" / "man1"
    man.mkdir(parents=True)
    with gzip.open(man / "ls.1.gz", "wb") as fh:
        fh.write(
            b'.TH LS 1\n.SH NOM\nls \\- afficher le contenu des r\xc3\xa9pertoires\n.\\" note\n'
        )
    html = debs / "libreoffice-help-fr" / "usr" / "share" / "help"
    html.mkdir(parents=True)
    (html / "a.html").write_text(
        "<html><script>var x = 1;</script><p>Cette aide explique les tableaux.</p></html>",
        encoding="utf-8",
    )
    return tmp_path / "corpus"


def test_corpus_is_built_from_unpacked_packages(
    unpacked: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus.shutil, "which", lambda name: f"/usr/bin/{name}")
    out = unpacked / "fr_corpus.txt"
    packages = ("stardict-xmlittre", "manpages-fr", "libreoffice-help-fr")
    stats = build_corpus(packages, out=out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert any(line.startswith("le ambition déplaît quand elle est assouvie") for line in lines)
    assert any("afficher le contenu des répertoires" in line for line in lines)
    assert "cette aide explique les tableaux" in lines
    assert not any("var" in line or "<" in line or "foreground" in line for line in lines)
    assert stats.sentences == len(lines) and stats.tokens == sum(len(x.split()) for x in lines)
    assert next(iter(LineSentences(out)))  # a restartable stream of token lists
    again = build_corpus(packages, out=out)  # cached: not rebuilt
    assert (again.sentences, again.tokens) == (stats.sentences, stats.tokens)


def test_missing_tools_or_files_raise_clear_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(corpus.shutil, "which", lambda name: None)
    with pytest.raises(CorpusError, match="apt-get/dpkg not found"):
        build_corpus(("stardict-xmlittre",), out=tmp_path / "c" / "x.txt")
    with pytest.raises(CorpusError, match=r"no \.dict\.dz file"):
        list(corpus.littre_text(tmp_path))
