# -*- coding: latin-1 -*-
"""Legacy module in Latin-1: café crème."""

GREETING = "Bienvenue à la boutique"


def greet(name):
    return f"{GREETING}, {name}!"
