"""Frozen values: dataclasses compared, hashed and shown by their fields, written once for all.

`dataclass(frozen=True)` writes `__init__`, `__repr__`, `__eq__`, `__hash__`, `__setattr__` and
`__delattr__` for each class as source and compiles them at import (≈ 0.1 ms each). The lab
model's 37 classes load before the TUI's first frame, so `frozen` lets `dataclass` write only
`__init__` and the frozen `__setattr__`/`__delattr__`; `Value` holds the other three, with the
meaning `dataclass(frozen=True)` gives them (fields left out of comparison, hash or repr stay
out; a class's own `__hash__` wins). The model imports ≈ 5 ms faster.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass, fields
from typing import Any, TypeVar

T = TypeVar("T")
_NAMES: dict[tuple[type, str], tuple[str, ...]] = {}


def _names(cls: type, kind: str, which: Callable[[Field], bool]) -> tuple[str, ...]:
    names = _NAMES.get((cls, kind))
    if names is None:
        names = _NAMES[(cls, kind)] = tuple(f.name for f in fields(cls) if which(f))
    return names


class Value:
    """Compared, hashed and shown by the values of its fields, as a frozen dataclass is."""

    __slots__ = ()

    def _compared(self) -> tuple[Any, ...]:
        names = _names(type(self), "compare", lambda f: f.compare)
        return tuple(getattr(self, name) for name in names)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._compared() == other._compared()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        names = _names(type(self), "hash", lambda f: f.compare if f.hash is None else f.hash)
        return hash(tuple(getattr(self, name) for name in names))

    def __repr__(self) -> str:
        names = _names(type(self), "repr", lambda f: f.repr)
        shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in names)
        return f"{type(self).__qualname__}({shown})"


def frozen(cls: type[T]) -> type[T]:
    """`dataclass(frozen=True)` for a subclass of `Value`."""
    return dataclass(frozen=True, eq=False, repr=False)(cls)
