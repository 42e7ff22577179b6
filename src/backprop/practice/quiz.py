"""A quiz: one problem at a time, one node at a time, with a computed hint after a wrong answer.

Each forward step asks for a node's value, each backward step for a gradient (the output's
own, 1, is given). A right answer (within the tolerance) moves on; a wrong one gets a hint
that names the mistake reproducing it (``mistakes.py``) and the step's local rule; a second
wrong one reveals the step. Input and output are functions (``ask``, ``say``), so the
terminal (click's prompts), a test or another front end can drive the same quiz; ``ask``
may raise to end the quiz early, and ``score`` holds the score so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import BackpropError
from ..graph import display_name
from ..numfmt import format_number
from ..steps import FORWARD
from .mistakes import World, close, gradient_mistakes, value_mistakes

REVEAL_WORDS = ("?", "show", "reveal")


@dataclass
class Question:
    """One node to compute: what is asked, the answer, and what a hint or a reveal says."""

    prompt: str
    answer: float
    kind: str  # "value" or "gradient"
    label: str  # e = … or ∂L/∂e
    rule: list[str]  # the local rule (the 'since' lines), for the hint
    reveal: list[str]  # the step's whole text
    mistakes: list[tuple[float, str]]  # (number, mistake) from each mistake model
    step: int = 0  # the index of its step in result.steps


def questions(result) -> list[Question]:
    """The questions of one problem, in the derivation's order."""
    from ..render.trace import _Writer

    writer = _Writer(result)
    graph = result.graph
    world = World(result)
    name = lambda node_id: display_name(graph.nodes[node_id].name)  # noqa: E731
    out = writer.out
    asked = []
    for index, step in enumerate(result.steps):
        node = graph.nodes[step.node]
        lines = writer.step(step)
        if step.phase == FORWARD:
            operands = ", ".join(f"{writer.name(a)} = {format_number(result.values[a])}" for a in dict.fromkeys(node.args)
                                 if graph.nodes[a].op != "const")
            label = f"{writer.name(node.id)} = {graph.operation(node.id)}"
            prompt = f"{label}{f'   ({operands})' if operands else ''}"
            predictions = value_mistakes(world, node.id, name)
            rule = [f"compute {graph.operation(node.id)}" + (f" with {operands}" if operands else "")]
            kind, answer = "value", result.values[node.id]
        else:
            if node.id == graph.output:
                continue
            label = f"∂{out}/∂{writer.name(node.id)}"
            users = list(dict.fromkeys(writer.name(t.consumer) for t in step.terms))
            prompt = f"{label}   ({writer.name(node.id)} is used by {', '.join(users)})"
            predictions = gradient_mistakes(world, node.id, name)
            rule = [line.strip() for line in lines[1:]]
            kind, answer = "gradient", step.value
        mistakes = [(p.value, p.text) for p in predictions if not close(p.value, answer, 1e-9)]
        asked.append(Question(prompt, answer, kind, label, rule, [line.strip() for line in lines], mistakes, index))
    return asked


def hint(question: Question, given: float, tol: float) -> str:
    """What a first wrong answer hears: the mistake that gives the learner's number, if one does, and the rule."""
    named = next((text for value, text in question.mistakes if close(given, value, tol)), None)
    words = [f"Not quite. Likely mistake: {named}." if named else "Not quite."]
    if question.rule:
        words.append("Hint: " + "; ".join(question.rule))
    return "\n".join(words)


@dataclass
class Score:
    asked: int = 0
    first_try: int = 0
    second_try: int = 0
    revealed: int = 0
    needed_help: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if not self.asked:
            return "No answers yet."
        lines = [f"Score: {self.first_try} of {self.asked} right at the first try"
                 f" ({self.second_try} after a hint, {self.revealed} shown)."]
        if self.needed_help:
            lines.append("Needed help: " + ", ".join(self.needed_help))
        return "\n".join(lines)


class Quiz:
    """Asks problems' questions through ``ask``/``say``; ``score`` is kept up to date as it goes."""

    def __init__(self, tol: float = 0.01):
        self.tol = tol
        self.score = Score()

    def run_problem(self, result, ask, say, heading: str) -> None:
        say(heading)
        say("  " + "\n  ".join(result.graph.echo()))
        given = ", ".join(f"{name} = {format_number(v)}" for name, v in result.inputs.items())
        if given:
            say(f"  inputs: {given}")
        say(f"  ∂{display_name(result.output)}/∂{display_name(result.output)} = 1. Type each number "
            f"(? shows the step).")
        before = self.score.asked, self.score.first_try
        for question in questions(result):
            self.ask_question(question, ask, say)
        asked, first = self.score.asked - before[0], self.score.first_try - before[1]
        say(f"This problem: {first} of {asked} right at the first try.")

    def ask_question(self, question: Question, ask, say) -> None:
        for attempt in (1, 2):
            given = self._number(question.prompt, ask, say)
            if given is not None and close(given, question.answer, self.tol):
                self.score.asked += 1
                if attempt == 1:
                    self.score.first_try += 1
                    say("  right")
                else:
                    self.score.second_try += 1
                    self.score.needed_help.append(question.label)
                    say("  right, after the hint")
                return
            if given is None or attempt == 2:
                break
            say("  " + hint(question, given, self.tol).replace("\n", "\n  "))
        self.score.asked += 1
        self.score.revealed += 1
        self.score.needed_help.append(question.label)
        say("  The step: " + "\n    ".join(question.reveal))

    def _number(self, prompt: str, ask, say) -> float | None:
        """The learner's number (None when they ask to see the step); re-asks until it is a number."""
        from ..assignments import evaluate_constant

        while True:
            text = ask(prompt).strip()
            if text.lower() in REVEAL_WORDS:
                return None
            try:
                return evaluate_constant(text, "your answer")
            except BackpropError:
                say(f"  '{text}' is not a number: type one such as -0.5 or 1/3 (or ? to see the step)")
