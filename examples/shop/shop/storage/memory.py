from ..models import Order
from .base import Storage


class MemoryStorage(Storage):
    def __init__(self):
        self._orders: dict[int, Order] = {}

    # Orders are kept by id; saving again replaces the stored order.
    def save(self, order):
        self._orders[order.id] = order

    def load(self, order_id):
        return self._orders.get(order_id)

    def customers(self):  # noqa: D102
        return sorted({o.customer for o in self._orders.values()})
