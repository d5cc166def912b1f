"""A module with a syntax error in the middle: the parser recovers around it."""


def before(x):
    return x + 1


def broken(items):
    total = sum(len(i) for i in items
    return total


def after(y):
    return before(y) * 2
