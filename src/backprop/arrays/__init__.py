"""Vectors and matrices (docs/arrays.md): shapes on every node, NumPy forward and backward.

Only ``names`` is imported by the scalar path (the parser); everything else imports NumPy and
is loaded only when a program uses array syntax or values.
"""
