"""Every public docstring example in analysis/ runs and gives the printed result."""

import doctest
import importlib
import pkgutil

import pytest

import analysis

MODULES = ["analysis"] + [f"analysis.{m.name}" for m in pkgutil.iter_modules(analysis.__path__)]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_public_names_documented():
    for name in analysis.__all__:
        obj = getattr(analysis, name)
        assert obj.__doc__ and len(obj.__doc__.strip()) > 40, name
