"""The examples in docstrings run."""

import doctest
import importlib

import pytest

MODULES = ["mutuals.platform.graph", "mutuals.engine.platform"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
