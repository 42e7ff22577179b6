"""The reserved words of the language: the names of the command line's jobs.

``backprop NAME …`` runs a job only when NAME is exactly one of these words, so a program
is never mistaken for a job. For that to hold, a program can not use them as variable
names: the parser refuses them (``'train' is a reserved word …``), and so does ``--set``.
"""

from __future__ import annotations

JOB_NAMES = ("quiz", "grade", "worksheet", "train")


def reserved_word_message(name: str) -> str:
    """Why ``name`` can not be a variable, in one line."""
    return (f"'{name}' is a reserved word (the name of a backprop job: {', '.join(JOB_NAMES)}) "
            f"and can not be a variable name")
