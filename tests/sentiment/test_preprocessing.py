from __future__ import annotations

import pytest

from bihar.sentiment.preprocessing import (
    PreprocessConfig,
    Preprocessor,
    clean,
    french_share,
    regex_tokenize,
    strip_accents,
)


@pytest.mark.parametrize("tokenizer", ["spacy", "regex"])
def test_negations_survive_stop_word_removal(tokenizer: str) -> None:
    tokens = Preprocessor(PreprocessConfig(tokenizer=tokenizer))(
        "Ce film n'est pas bon, je ne l'ai jamais aimé et rien ne va."
    )
    for word in ("ne", "pas", "jamais", "rien"):
        assert word in tokens
    assert "ce" not in tokens and "je" not in tokens and "est" not in tokens


def test_removing_negations_is_possible_and_changes_the_tokens() -> None:
    text = "Ce film n'est pas bon."
    keep = Preprocessor(PreprocessConfig(keep_negations=True))(text)
    drop = Preprocessor(PreprocessConfig(keep_negations=False))(text)
    assert "pas" in keep and "pas" not in drop


def test_accents_are_kept_by_default_and_can_be_stripped() -> None:
    text = "Une œuvre émouvante, très réussie à Noël"
    assert "émouvante" in Preprocessor()(text)
    stripped = Preprocessor(PreprocessConfig(strip_accents=True))(text)
    assert "emouvante" in stripped and "noel" in stripped
    assert strip_accents("Ça élève") == "Ca eleve"


def test_punctuation_apostrophes_and_markup_are_normalised() -> None:
    assert clean("Génial!!!  <br />Vraiment…?? https://x.fr") == "Génial! Vraiment…?"
    tokens = Preprocessor(PreprocessConfig(remove_stopwords=False))("L’histoire?!! Bof...")
    assert tokens == ["le", "histoire", "?", "!", "bof"]
    no_marks = Preprocessor(PreprocessConfig(keep_exclamations=False))("Nul !!! Nul ?")
    assert no_marks == ["nul", "nul"]


def test_elisions_are_split_and_compound_words_kept() -> None:
    assert regex_tokenize("l'histoire qu'il aujourd'hui jusqu'au") == [
        "l'", "histoire", "qu'", "il", "aujourd'hui", "jusqu'", "au",
    ]  # fmt: skip


@pytest.mark.parametrize("text", ["", "   ", None, "...", "<br/>", ", ; :"])
def test_empty_or_punctuation_only_input_gives_no_tokens(text) -> None:  # type: ignore[no-untyped-def]
    assert Preprocessor()(text) == []


def test_exclamations_are_collapsed_to_one_token() -> None:
    assert Preprocessor()("!!!") == ["!"]


def test_non_french_input_is_handled_and_detected() -> None:
    english = Preprocessor(PreprocessConfig(remove_stopwords=False))(
        "This movie was really great and the actors were wonderful"
    )
    french = Preprocessor(PreprocessConfig(remove_stopwords=False))(
        "Ce film était vraiment génial et les acteurs étaient formidables"
    )
    assert english and french
    assert french_share(english) < 0.2 < french_share(french)
    assert Preprocessor()("日本語のレビュー 最高") == ["日本語のレビュー", "最高"]
    assert french_share([]) == 0.0


def test_lemmatisation_and_stemming_reduce_inflections() -> None:
    lemma = Preprocessor(PreprocessConfig(reduction="simplemma"))("les acteurs étaient géniaux")
    stem = Preprocessor(PreprocessConfig(reduction="snowball"))("magnifiques magnifique")
    assert "acteur" in lemma and "génial" in lemma
    assert stem[0] == stem[1]


def test_config_names_describe_the_pipeline() -> None:
    assert PreprocessConfig().name == "spacy+stop-keepneg"
    assert PreprocessConfig(tokenizer="regex", remove_stopwords=False).name == "regex"
    assert "snowball" in PreprocessConfig(reduction="snowball").name
