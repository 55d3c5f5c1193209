"""The slide deck: filled from the reports (no number typed by hand), 20–28 slides of at most
~40 words, built by Marp, every slide rendered in headless Chromium without overflow; PNGs of a
few slides for the README go to presentation/slides/."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from bihar.deck.build import build_deck, slide_texts
from bihar.deck.facts import MissingFactError
from tests.browser import chromium, dom_after_scripts

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "presentation" / "deck.md"
MARP = ROOT / "presentation" / "node_modules" / ".bin" / "marp"
MAX_WORDS = 45
#: Slides whose PNG the README shows, by their title.
README_SLIDES = {
    "title": "Three kinds of data",
    "forecast-results": "Temperature: results",
    "architecture": "MLOps: architecture",
    "demo": "Demo scenario",
}
NUMBER = re.compile(r"(?<![\w.])[-+−]?\d+(?:[.,]\d+)*%?(?![\w])")


@pytest.fixture(scope="module")
def deck(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("deck")
    build_deck(TEMPLATE, ROOT / "reports", ROOT, out)
    return out


def _visible_text(slide: str) -> str:
    """What the audience reads: no comments, code spans, image or link targets, tag names."""
    text = re.sub(r"<!--.*?-->", " ", slide, flags=re.S)
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"<code>.*?</code>", " ", text, flags=re.S)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"<[^>]+>", " ", text)


def _report_numbers() -> set[str]:
    """Every number of reports/*.json as a slide may show it: the value at 0 to 4 decimals, as
    a percentage, with thousands separators, and the numbers written inside its strings."""
    shown: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                walk(key)
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, bool):
            return
        elif isinstance(value, int | float):
            shown.update({str(value), f"{value:,}", f"{value:g}"})
            for digits in range(5):
                shown.update({f"{value:.{digits}f}", f"{value:,.{digits}f}", f"{value:.{digits}%}"})
        elif isinstance(value, str):
            shown.update(NUMBER.findall(value))

    for path in (ROOT / "reports").glob("*.json"):
        walk(json.loads(path.read_text(encoding="utf-8")))
    return shown


def test_every_number_on_the_slides_comes_from_the_reports(deck):
    allowed = _report_numbers()
    slides = slide_texts((deck / "deck.md").read_text(encoding="utf-8"))
    for number, slide in enumerate(slides, 1):
        for token in NUMBER.findall(_visible_text(slide)):
            if re.fullmatch(r"\d", token) and slide.startswith("## Agenda"):
                continue  # the agenda's item numbers
            assert token in allowed, f"slide {number}: {token!r} is not a figure of reports/"


def test_each_value_on_the_slides_is_the_reports_value(deck):
    """Every `{{ report/key… | spec }}` of the template, read here from the JSON files, is on
    the slides as the template formats it."""
    template = TEMPLATE.read_text(encoding="utf-8")
    markdown = (deck / "deck.md").read_text(encoding="utf-8")
    checked = 0
    for path, spec in re.findall(r"\{\{\s*(\w+/[^|}]+?)\s*(?:\|\s*([^}]*?)\s*)?\}\}", template):
        name, *keys = path.split("/")
        report = json.loads((ROOT / "reports" / f"{name}.json").read_text(encoding="utf-8"))
        value: Any = report
        for key in "/".join(keys).replace("//", "/\0").split("/"):
            value = value[report[key[1:]] if key.startswith("@") else key.replace("\0", "/")]
        if spec == "yesno":
            shown = "yes" if value else "no"
        else:
            shown = (
                format(value, spec)
                if spec
                else (f"{value:g}" if isinstance(value, float) else str(value))
            )
        assert shown in markdown, f"{path} = {value!r} is not on the slides as {shown!r}"
        checked += 1
    assert checked >= 30


def test_the_slides_follow_the_reports(tmp_path):
    """A report changed → the slide changed; a key missing → a clear error."""
    reports = tmp_path / "reports"
    shutil.copytree(ROOT / "reports", reports)
    path = reports / "forecast_experiments.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    document["test"]["mae_ratio_vs_seasonal_naive"] = 0.4321
    path.write_text(json.dumps(document), encoding="utf-8")
    build_deck(TEMPLATE, reports, ROOT, tmp_path / "deck")
    assert "<b>0.432 × seasonal naive</b>" in (tmp_path / "deck" / "deck.md").read_text()

    del document["test"]["mae_ratio_vs_seasonal_naive"]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(
        MissingFactError,
        match=r"forecast_experiments\.json has no "
        r"'mae_ratio_vs_seasonal_naive' under forecast_experiments/test",
    ):
        build_deck(TEMPLATE, reports, ROOT, tmp_path / "deck")

    shutil.copyfile(ROOT / "reports" / "forecast_experiments.json", path)
    sentiment = reports / "sentiment.json"
    document = json.loads(sentiment.read_text(encoding="utf-8"))
    del document["test_results"]["TF-IDF"]["test_f1"]
    sentiment.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(MissingFactError, match="table sentiment_results: a report lacks the key"):
        build_deck(TEMPLATE, reports, ROOT, tmp_path / "deck")


def test_a_missing_report_is_one_line_and_exit_code_2(tmp_path):
    empty_root = tmp_path / "root"
    (empty_root / "reports").mkdir(parents=True)
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "bihar"),
            "deck",
            "--template",
            str(TEMPLATE),
            "--out",
            str(tmp_path / "deck"),
        ],
        env={"BIHAR_ROOT_DIR": str(empty_root), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "reports/vision.json is missing" in lines[0]
    assert "Traceback" not in done.stderr


def test_twenty_to_twenty_eight_slides_of_few_words(deck):
    slides = slide_texts((deck / "deck.md").read_text(encoding="utf-8"))
    assert 20 <= len(slides) <= 28
    for number, slide in enumerate(slides, 1):
        body = [
            line
            for line in _visible_text(slide).splitlines()
            if not line.lstrip().startswith(("#", "|"))
        ]
        words = re.findall(r"[\w'’.,%°-]+", " ".join(body))
        assert len(words) <= MAX_WORDS, f"slide {number} has {len(words)} words"
    figures = sorted(p.name for p in (deck / "figures").iterdir())
    assert len(figures) == len(
        set(re.findall(r"figures/(\w+\.png)", (deck / "deck.md").read_text()))
    )


OVERFLOW_PROBE = """<script>
window.addEventListener("load", () => {
  const found = [];
  document.querySelectorAll("section").forEach((section, i) => {
    const frame = section.getBoundingClientRect();
    const scale = frame.width / section.offsetWidth;
    for (const element of section.querySelectorAll("*")) {
      const box = element.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      const out = Math.max(frame.top - box.top, box.bottom - frame.bottom,
                           frame.left - box.left, box.right - frame.right) / scale;
      if (out > 1) { found.push({slide: i + 1, tag: element.tagName, pixels: Math.round(out)}); }
    }
  });
  document.body.dataset.slides = document.querySelectorAll("section").length;
  document.body.dataset.overflow = JSON.stringify(found);
});
</script>"""


def _marp(deck: Path, *args: str) -> None:
    assert MARP.is_file(), "the Marp CLI is missing: run make slides-tools"
    subprocess.run(
        [str(MARP), "--html", "--allow-local-files", "--no-stdin", *args, "deck.md"],
        cwd=deck,
        env={"CHROME_PATH": chromium(), "PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": str(deck)},
        check=True,
        capture_output=True,
        timeout=300,
    )


def test_every_slide_renders_without_overflow(deck):
    _marp(deck, "--template", "bare", "-o", "bare.html")
    page = deck / "bare.html"
    page.write_text(page.read_text(encoding="utf-8").replace("</body>", OVERFLOW_PROBE + "</body>"))
    dom = dom_after_scripts(page.as_uri(), width=1280)
    slides = int(re.search(r'data-slides="(\d+)"', dom).group(1))
    assert slides == len(slide_texts((deck / "deck.md").read_text(encoding="utf-8")))
    overflow = json.loads(
        re.search(r'data-overflow="([^"]*)"', dom).group(1).replace("&quot;", '"')
    )
    assert overflow == [], f"content outside its slide: {overflow}"


def test_make_slides_builds_html_pdf_and_pptx_and_pngs_for_the_readme(deck):
    subprocess.run(
        [str(ROOT / "scripts" / "slides.sh"), str(deck)],
        check=True,
        timeout=600,
        capture_output=True,
    )
    for name in ("deck.html", "deck.pdf", "deck.pptx"):
        assert (deck / name).stat().st_size > 10_000
    slides = slide_texts((deck / "deck.md").read_text(encoding="utf-8"))
    assert (deck / "deck.pdf").read_bytes().startswith(b"%PDF-")
    html = (deck / "deck.html").read_text(encoding="utf-8")
    assert len(re.findall(r"<section\b", html)) == len(slides)
    _marp(deck, "--images", "png", "-o", "slide.png")
    folder = ROOT / "presentation" / "slides"
    folder.mkdir(exist_ok=True)
    for name, title in README_SLIDES.items():
        (index,) = [
            i
            for i, s in enumerate(slides, 1)
            if title in s.split("\n\n")[0 if s.startswith("#") else 1]
        ]
        shutil.copyfile(deck / f"slide.{index:03d}.png", folder / f"{name}.png")
