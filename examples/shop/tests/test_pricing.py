from decimal import Decimal

import pytest

from shop import Order, Product, price_order
from shop.models import RushOrder


@pytest.fixture
def tea():
    return Product("tea", "Green tea", Decimal("4.50"))


def test_bulk_discount(tea):
    order = Order("ann").add(tea, 10)
    assert price_order(order) == Decimal("40.50")


def test_rush_fee(tea):
    order = RushOrder("bob").add(tea)
    assert price_order(order, rules=()) == Decimal("14.40")
