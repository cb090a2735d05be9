from __future__ import annotations

from seaway.cli.apps import ADJECTIVES, NOUNS, generated_name
from seaway.naming import check_app_name


def test_generated_names_are_valid_app_names_of_two_words_and_a_number():
    for _ in range(200):
        name = generated_name()
        adjective, noun, number = name.split("-")
        assert check_app_name(name) == name
        assert adjective in ADJECTIVES and noun in NOUNS and number.isdigit()
