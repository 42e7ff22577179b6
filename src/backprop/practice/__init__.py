"""Practice: generated problems, grading a hand derivation, quizzes and worksheets.

``problems`` generates exercises by level, ``mistakes`` recomputes a step under each
common mistake (the diagnosis is a computation, never a guess from strings), ``grade``
checks a learner's numbers, ``quiz`` asks them one node at a time, ``worksheet`` and
``moodle`` write exercises for a class. The command line is ``cli/grade.py``,
``cli/quiz.py`` and ``cli/worksheet.py``; the browser page is ``render/practice_page.py``.
"""
