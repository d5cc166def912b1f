"""A small shop: products, orders, pricing rules and pluggable storage."""

from .models import Order, Product
from .pricing import DEFAULT_RULES, price_order

__all__ = ["Order", "Product", "price_order", "DEFAULT_RULES"]
__version__ = "1.0.0"
