from abc import ABCMeta, abstractmethod

from ..models import Order


class Storage(metaclass=ABCMeta):
    """The interface every storage backend implements."""

    @abstractmethod
    def save(self, order: Order) -> None: ...

    @abstractmethod
    def load(self, order_id: int) -> Order | None: ...

    def save_all(self, orders) -> int:
        count = 0
        for count, order in enumerate(orders, start=1):
            self.save(order)
        return count
