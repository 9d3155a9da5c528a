"""docs/api.md shows every public callable's full signature.

The first inline code span of the form `name(...)` for each callable of
`DOCUMENTED` is its signature: its parameter names must be the callable's
own, in order (`**kwargs` of Keras layers aside), and each default written
there must equal the real one. A default written as alternatives
(`"a"|"b"`) must start with the real default; one written as a name must
be that name in the callable's module.
"""

import ast
import inspect
import re
import sys

import pytest

import keras_elmo
from keras_elmo import export
from keras_elmo import preprocessing
from tests.test_case import REPO_ROOT

API_PAGE = REPO_ROOT / "docs" / "api.md"
DOCUMENTED = {
    "CharCNNEncoder": lambda: keras_elmo.CharCNNEncoder,
    "BiLM": lambda: keras_elmo.BiLM,
    "WeightedLayerMix": lambda: keras_elmo.WeightedLayerMix,
    "ELMo": lambda: keras_elmo.ELMo,
    "ELMoEmbedding": lambda: keras_elmo.ELMoEmbedding,
    "ELMoLanguageModel": lambda: keras_elmo.ELMoLanguageModel,
    "ELMoEmbedder": lambda: keras_elmo.ELMoEmbedder,
    "TextTokenizer": lambda: keras_elmo.TextTokenizer,
    "batch_to_char_ids": lambda: keras_elmo.batch_to_char_ids,
    "build_vocabulary": lambda: keras_elmo.build_vocabulary,
    "load_vocabulary": lambda: keras_elmo.load_vocabulary,
    "VocabularyCharacterTokenizer": (
        lambda: preprocessing.VocabularyCharacterTokenizer
    ),
    "export_saved_model": lambda: export.export_saved_model,
    "export_tflite": lambda: export.export_tflite,
}
# `Name(` or `keras_elmo.x.Name(` at the start of a code span; the span
# may run over several lines but never contains a backtick.
CODE_SPAN = re.compile(r"`(?:[A-Za-z_][\w]*\.)*([A-Za-z_]\w*)\(([^`]*)\)`")


def documented_signatures(text):
    """`{name: parameter text}` of the first code span of each name."""
    found = {}
    for match in CODE_SPAN.finditer(text):
        name, parameters = match.group(1), match.group(2)
        if name in DOCUMENTED and name not in found:
            found[name] = " ".join(parameters.split())
    return found


def split_parameters(text):
    """`[(name, default text or None)]` of `a, b=1, c=(1, 2)`."""
    parameters, depth, current = [], 0, ""
    for character in text + ",":
        if character in "([{":
            depth += 1
        elif character in ")]}":
            depth -= 1
        if character == "," and depth == 0:
            if current.strip():
                name, _, default = current.partition("=")
                parameters.append(
                    (name.strip(), default.strip() if default else None)
                )
            current = ""
        else:
            current += character
    return parameters


def _default_matches(written, actual, function):
    try:
        return ast.literal_eval(written) == actual
    except (ValueError, SyntaxError):
        pass
    if "|" in written:
        first = written.split("|")[0]
        return _default_matches(first, actual, function)
    module = sys.modules[function.__module__]
    value = getattr(module, written, inspect.Parameter.empty)
    return value is not inspect.Parameter.empty and value == actual


def test_split_parameters():
    assert split_parameters('a, b=(1, 2), c="x"|"y"') == [
        ("a", None),
        ("b", "(1, 2)"),
        ("c", '"x"|"y"'),
    ]


def test_every_documented_callable_has_a_signature_in_api_md():
    missing = set(DOCUMENTED) - set(
        documented_signatures(API_PAGE.read_text(encoding="utf-8"))
    )
    assert not missing, f"docs/api.md shows no signature of {missing}"


@pytest.mark.parametrize("name", sorted(DOCUMENTED))
def test_api_md_signature_is_the_real_one(name):
    function = DOCUMENTED[name]()
    text = documented_signatures(API_PAGE.read_text(encoding="utf-8"))[name]
    real = [
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    written = split_parameters(text)
    assert [n for n, _ in written] == [p.name for p in real], (
        f"docs/api.md: `{name}({text})` does not list the parameters "
        f"{[p.name for p in real]}"
    )
    for (parameter, default), real_parameter in zip(written, real):
        if real_parameter.default is inspect.Parameter.empty:
            assert default is None, f"{name}: {parameter} has no default"
            continue
        assert default is not None, (
            f"docs/api.md: {name}'s {parameter} lacks its default "
            f"{real_parameter.default!r}"
        )
        assert _default_matches(default, real_parameter.default, function), (
            f"docs/api.md: {name}'s {parameter}={default}, the code's "
            f"default is {real_parameter.default!r}"
        )
