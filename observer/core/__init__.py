"""The vocabulary every other package speaks: the models (a meeting's records, the codebook, the fields they are
made of), codebooks, columns, keys, clock, text and errors.

Imports nothing of observer's own: everything else stands on it.
"""
