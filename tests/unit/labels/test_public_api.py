"""services.labels exports exactly its public names; its functions and classes are documented."""

import inspect

import pytest

import services.labels as labels

pytestmark = pytest.mark.unit


def test_all_is_complete() -> None:
    public = {
        name
        for name, value in vars(labels).items()
        if not name.startswith("_") and not inspect.ismodule(value)
    }
    assert set(labels.__all__) == public
    assert len(labels.__all__) == len(public)


@pytest.mark.parametrize("name", labels.__all__)
def test_every_public_name_has_a_docstring(name: str) -> None:
    value = getattr(labels, name)
    if inspect.isfunction(value) or inspect.isclass(value):
        assert inspect.getdoc(value), name
