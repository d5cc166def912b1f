"""Command line: price an order given as SKU:QTY pairs."""

import argparse
import asyncio
import sys
from decimal import Decimal

from . import price_order
from .models import Order, Product, RushOrder
from .storage import MemoryStorage

CATALOG = {
    "tea": Product("tea", "Green tea", Decimal("4.50")),
    "mug": Product("mug", "Mug", Decimal("8.00"), {"sale"}),
}


def parse_line(text: str) -> tuple[str, int]:
    match text.split(":"):
        case [sku]:
            return sku, 1
        case [sku, qty] if qty.isdigit():
            return sku, int(qty)
        case _:
            raise ValueError(f"bad line {text!r}")


async def fetch_prices(skus):
    await asyncio.sleep(0)
    return {sku: CATALOG[sku].price for sku in skus if sku in CATALOG}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="shop")
    parser.add_argument("lines", nargs="+")
    parser.add_argument("--rush", action="store_true")
    args = parser.parse_args(argv)
    order = (RushOrder if args.rush else Order)("cli")
    for sku, qty in map(parse_line, args.lines):
        if (product := CATALOG.get(sku)) is None:
            print(f"unknown product {sku}", file=sys.stderr)
            return 1
        order.add(product, qty)
    MemoryStorage().save(order)
    prices = asyncio.run(fetch_prices([p.sku for p, _ in order]))
    print(f"{len(prices)} products, total {price_order(order):>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
