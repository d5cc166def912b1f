"""Pricing rules applied to orders."""

import functools
from decimal import Decimal
from typing import Callable

from .models import Order, Product, RushOrder

Rule = Callable[[Product, int, Decimal], Decimal]
_registry: dict[str, Rule] = {}


def rule(name: str):
    """Register a pricing rule under a name."""

    def decorate(fn: Rule) -> Rule:
        _registry[name] = fn

        @functools.wraps(fn)
        def wrapper(product, quantity, subtotal):
            return fn(product, quantity, subtotal)

        return wrapper

    return decorate


@rule("bulk")
def bulk_discount(product: Product, quantity: int, subtotal: Decimal) -> Decimal:
    return subtotal * Decimal("0.9") if quantity >= 10 else subtotal


@rule("sale")
def sale_discount(product: Product, quantity: int, subtotal: Decimal) -> Decimal:
    return subtotal / 2 if product.is_discounted else subtotal


DEFAULT_RULES = tuple(_registry)


@functools.lru_cache(maxsize=128)
def rules_for(names: tuple[str, ...]) -> list[Rule]:
    return [_registry[n] for n in names if n in _registry]


def price_order(order: Order, rules: tuple[str, ...] = DEFAULT_RULES) -> Decimal:
    total = Decimal(0)
    for product, quantity in order:
        subtotal = product.price * quantity
        for apply in rules_for(rules):
            subtotal = apply(product, quantity, subtotal)
        total += subtotal
    if isinstance(order, RushOrder):
        total += order.fee
    return total.quantize(Decimal("0.01"))
