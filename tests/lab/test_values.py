"""`frozen` + `Value` mean what `dataclass(frozen=True)` means: each behaviour checked against a
real frozen dataclass twin, so the hand-written methods cannot drift from the standard ones."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pytest

from istiotui.lab.values import Value, frozen


@frozen
class Mine(Value):
    name: str
    count: int = 0
    note: str = field(default="", compare=False)  # out of ==, and so of the hash
    secret: str = field(default="", repr=False)
    cached: int = field(default=0, hash=False)  # compared, not hashed


@dataclass(frozen=True)
class Twin:
    name: str
    count: int = 0
    note: str = field(default="", compare=False)
    secret: str = field(default="", repr=False)
    cached: int = field(default=0, hash=False)


@frozen
class OwnHash(Value):
    name: str

    def __hash__(self) -> int:
        return 7


CASES = [
    (("a", 1, "x", "s", 2), ("a", 1, "y", "s", 2)),  # differ only in a compare=False field
    (("a", 1, "x", "s", 2), ("a", 1, "x", "s", 3)),  # differ in a compared, unhashed field
    (("a", 1, "x", "s", 2), ("b", 1, "x", "s", 2)),
    (("a", 1, "x", "s", 2), ("a", 1, "x", "t", 2)),
]


@pytest.mark.parametrize(("one", "other"), CASES)
def test_equality_and_hash_as_a_frozen_dataclass(one: tuple, other: tuple) -> None:
    mine, twin = (Mine(*one), Mine(*other)), (Twin(*one), Twin(*other))
    assert (mine[0] == mine[1]) is (twin[0] == twin[1])
    assert (hash(mine[0]) == hash(mine[1])) is (hash(twin[0]) == hash(twin[1]))
    assert mine[0] != twin[0]  # another class is never equal


def test_repr_leaves_out_what_the_dataclass_leaves_out() -> None:
    args = ("a", 1, "x", "s", 2)
    assert repr(Mine(*args)).removeprefix("Mine") == repr(Twin(*args)).removeprefix("Twin")
    assert "secret" not in repr(Mine(*args))


def test_frozen_and_its_own_hash() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        Mine("a").name = "b"  # type: ignore[misc]
    assert hash(OwnHash("a")) == 7 == hash(OwnHash("b"))
