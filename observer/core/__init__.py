"""The vocabulary every other package speaks: the models, codebooks, columns, keys, clock, text and errors.

Imports nothing of observer's own: everything else stands on it.
"""
