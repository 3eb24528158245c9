"""Operator registry with upstream's names (``OPERATOR_REGISTRY``, ``get_operator``).

Operators register themselves with ``@OPERATOR_REGISTRY.register()`` when their module is
imported; ``get_operator`` imports ``dataflow.operators`` (plain imports, light) first.
"""

from __future__ import annotations

from typing import Callable, Iterator, TypeVar

T = TypeVar("T", bound=type)


class Registry:
    """A name -> class mapping filled by a decorator."""

    def __init__(self, name: str):
        self._name = name
        self._items: dict[str, type] = {}

    def register(self, obj: type | None = None, *, name: str | None = None) -> Callable[[T], T] | type:
        """Register a class under its own name (or ``name``); usable as ``@register()`` or ``@register``."""

        def add(cls: T) -> T:
            key = name or cls.__name__
            existing = self._items.get(key)
            if existing is not None and existing is not cls:
                raise KeyError(f"{self._name} registry: '{key}' is already registered by {existing.__module__}")
            self._items[key] = cls
            return cls

        return add(obj) if obj is not None else add

    def get(self, name: str) -> type:
        try:
            return self._items[name]
        except KeyError:
            raise KeyError(
                f"No operator named '{name}' in the {self._name} registry. Known: {sorted(self._items)}"
            ) from None

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def get_obj_map(self) -> dict[str, type]:
        return dict(self._items)


OPERATOR_REGISTRY = Registry("operators")


def get_operator(name: str) -> type:
    """Return the operator class registered as ``name``."""
    import dataflow.operators  # noqa: F401  (registers every operator)

    return OPERATOR_REGISTRY.get(name)
