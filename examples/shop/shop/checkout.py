"""Checkout: one function per kind of control flow, so the flow layer's graphs can be read
against the code (the golden graphs of the test suite are built from this file)."""

import asyncio
import json

AUDIT = []
_checkouts = 0


def load_cart(path):
    """try / except / else / finally, with the handler's name deleted after it."""
    try:
        fh = open(path)
    except FileNotFoundError as missing:
        AUDIT.append(str(missing))
        return []
    except (PermissionError, IsADirectoryError):
        raise
    else:
        items = json.load(fh)
    finally:
        AUDIT.append(path)
    return items


def read_lines(path):
    """with: __exit__ on the way out, normal or by exception (which it may swallow)."""
    with open(path) as fh, asyncio.Lock() as lock:
        lines = fh.read().splitlines()
    return lines, lock


def first_in_stock(items, stock):
    """for / else, break, continue."""
    for item in items:
        if item is None:
            continue
        if stock.get(item, 0) > 0:
            found = item
            break
    else:
        found = None
    return found


def drain(queue):
    """while / else, and break and continue through finally."""
    done = 0
    while queue:
        item = queue.pop()
        try:
            if item == "skip":
                continue
            if item == "stop":
                break
            done += 1
        finally:
            AUDIT.append(item)
    else:
        AUDIT.append("drained")
    return done


def shipping(order):
    """match: each case's pattern true/false, a guard, captures."""
    match order:
        case {"country": "NL", "weight": w} if w < 2:
            cost = 5
        case {"country": country, "weight": w}:
            cost = 10 + w * (2 if country == "DE" else 3)
        case [*parts]:
            cost = sum(shipping(p) for p in parts)
        case _:
            raise ValueError(order)
    return cost


def discount(total, member, code=None):
    """assert; short-circuit and/or; a conditional expression."""
    assert total >= 0, "negative total"
    rate = member and 0.1 or (code is not None and 0.05)
    return total * (1 - rate) if rate else total


def batches(items, size):
    """A generator: yield and yield from."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield from [batch]


async def pay(amount, gateway):
    """await, async with, async for."""
    async with gateway.session() as session:
        receipt = await session.charge(amount)
        async for event in session.events():
            if event == "failed":
                return None
    return receipt


def count_checkout():
    """global and nonlocal names are not local flow."""
    global _checkouts
    _checkouts += 1
    calls = 0

    def bump():
        nonlocal calls
        calls += 1
        return calls

    return bump, [c * 2 for c in range(_checkouts) if (last := c)], last
