"""Domain objects."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Iterator


class Entity:
    """Anything with an identity."""

    _next_id = 1

    def __init__(self) -> None:
        self.id = Entity._next_id
        Entity._next_id += 1

    def __repr__(self) -> str:
        return f"{type(self).__name__}(id={self.id!r})"


@dataclass
class Product:
    sku: str
    name: str
    price: Decimal
    tags: set[str] = field(default_factory=set)

    @property
    def is_discounted(self) -> bool:
        return "sale" in self.tags


class Order(Entity):
    """An order: lines of (product, quantity)."""

    def __init__(self, customer: str) -> None:
        super().__init__()
        self.customer = customer
        self.lines: list[tuple[Product, int]] = []

    def add(self, product: Product, quantity: int = 1) -> "Order":
        if quantity <= 0:
            raise ValueError(f"quantity must be positive, got {quantity}")
        self.lines.append((product, quantity))
        return self

    def __iter__(self) -> Iterator[tuple[Product, int]]:
        return iter(self.lines)

    @classmethod
    def of(cls, customer: str, *products: Product) -> "Order":
        order = cls(customer)
        for p in products:
            order.add(p)
        return order


class RushOrder(Order):
    """An order shipped the same day, for a fee."""

    fee = Decimal("9.90")
