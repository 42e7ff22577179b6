"""Regenerate docs/gallery/: one page per worked example, with its diagram and derivation.

    python scripts/gallery.py            # rewrite every page, DOT file and PNG
    python scripts/gallery.py --check    # exit 1 if a committed page or DOT file is out of date

Each example gets NAME.md (the command, the picture, the derivation as Markdown math and as
terminal text, the gradient check), NAME.dot and NAME.png; README.md indexes them.
tests/test_gallery.py compares the pages and DOT files (PNG bytes vary with the Graphviz
version and the fonts, the DOT they are drawn from does not), and checks that each PNG carries
the SHA-256 of the DOT it was drawn from (a tEXt chunk this script adds).
"""

from __future__ import annotations

import hashlib
import shlex
import struct
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from backprop.api import differentiate  # noqa: E402
from backprop.check import check_gradients  # noqa: E402
from backprop.render.dot import render_dot, run_dot  # noqa: E402

GALLERY = ROOT / "docs" / "gallery"


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    lesson: str  # what a teacher shows with it
    source: str
    values: dict[str, str]
    wrt: list[str] | None = None
    options: dict = field(default_factory=dict)  # for render_dot
    arrays: bool = False  # a program over vectors and matrices (docs/arrays.md): NumPy's engine


EXAMPLES = [
    Example(
        "seed", "The classic: (a·b + c)·f",
        "The smallest graph with every idea in it: a product, a sum, and the chain rule from L back to "
        "each input. Multiplication swaps: ∂e/∂a is b's value and ∂e/∂b is a's.",
        "(a*b+c)*f", {"a": "2", "b": "3", "c": "-10", "f": "5"},
    ),
    Example(
        "neuron", "A neuron: tanh(w1·x1 + w2·x2 + b)",
        "One artificial neuron with a tanh activation (the bias is chosen so the output is 1/√2). "
        "The gradient through tanh is 1 − tanh², here 0.5; an input of 0 (x2) zeroes its weight's gradient.",
        "tanh(w1*x1 + w2*x2 + b)", {"w1": "-3", "x1": "2", "w2": "1", "x2": "0", "b": "6.8813735870195432"},
    ),
    Example(
        "logistic", "Logistic regression: sigmoid and binary cross-entropy",
        "A sigmoid unit with the binary cross-entropy loss. Follow ∂L/∂z: the sigmoid's derivative "
        "p·(1 − p) cancels the loss's 1/p, leaving the famous p − y.",
        "z = w*x + b; p = sigmoid(z); L = -(y*log(p) + (1 - y)*log(1 - p))",
        {"w": "0.5", "x": "2", "b": "-0.5", "y": "1"},
    ),
    Example(
        "mse", "Mean squared error over three points",
        "Fitting a line y ≈ w·x + b to three points. The data are inputs too, so --wrt w,b keeps the "
        "derivation (and the diagram's gradients) to the two parameters; each residual sends its "
        "gradient back, and w and b sum the three.",
        "L = ((w*x1 + b - y1)^2 + (w*x2 + b - y2)^2 + (w*x3 + b - y3)^2) / 3",
        {"w": "0.5", "b": "1", "x1": "1", "y1": "2", "x2": "2", "y2": "2.5", "x3": "3", "y3": "3.5"},
        wrt=["w", "b"],
    ),
    Example(
        "two-layer", "A two-layer network, written with bindings",
        "Two tanh hidden units and a linear output, trained on one example with a squared error. "
        "Bindings name the hidden units, so the derivation reads like the textbook: ∂L/∂y, then ∂L/∂h1 "
        "and ∂L/∂h2, then every weight. x1 and x2 feed both hidden units, so their gradients are sums.",
        "h1 = tanh(w11*x1 + w12*x2 + b1)\nh2 = tanh(w21*x1 + w22*x2 + b2)\ny = v1*h1 + v2*h2 + c\nL = (y - t)^2",
        {"x1": "1", "x2": "-1", "w11": "0.5", "w12": "-0.3", "b1": "0.1", "w21": "-0.4", "w22": "0.8",
         "b2": "0", "v1": "1.2", "v2": "-0.7", "c": "0.05", "t": "1"},
    ),
    Example(
        "shared", "One variable on several paths",
        "u is used twice (by v and by L) and x twice (by u and v): each gradient is the sum over the "
        "paths, written out term by term. This is the step students most often miss.",
        "u = x*y; v = u + x; L = u*v", {"x": "2", "y": "3"},
    ),
    Example(
        "softplus-relu", "Softplus against relu at the kink",
        "softplus is a smooth relu: their gap is largest at 0 (log 2). There relu has a kink and its "
        "derivative is a convention (0, as in PyTorch), which the derivation says; softplus's is "
        "sigmoid(0) = 0.5. --check reports x as a kink, not as a failure.",
        "s = softplus(x); r = relu(x); L = s - r", {"x": "0"},
    ),
    Example(
        "log-ratio", "Division and logarithms",
        "L = y·log(x/y): the quotient rule in two local steps (∂r/∂x = 1/y, ∂r/∂y = −x/y²), the "
        "logarithm's 1/r, and y on two paths.",
        "r = x / y; L = log(r) * y", {"x": "3", "y": "2"},
    ),
    Example(
        "unrolled", "An unrolled recurrence: one weight, two time steps",
        "h is bound twice, so the derivation calls the versions h and h₁. The weight w is shared "
        "by both steps, as in a recurrent network: its gradient adds the contribution of each "
        "step (backpropagation through time).",
        "h = tanh(w*x); h = tanh(w*h); L = (1 - h)^2", {"x": "1", "w": "0.5"},
    ),
    Example(
        "softmax", "A softmax classifier: 54 operations",
        "Three tanh hidden units, three logits, a softmax (shifted by the largest logit, as libraries "
        "compute it) and the cross-entropy with a one-hot target. Too wide for a slide left to right, "
        "it is drawn top-down; the shift m gets a gradient of 0 (up to rounding), because softmax "
        "does not change when every logit moves together.",
        "h1 = tanh(w11*x1 + w12*x2 + b1)\nh2 = tanh(w21*x1 + w22*x2 + b2)\nh3 = tanh(w31*x1 + w32*x2 + b3)\n"
        "z1 = v11*h1 + v12*h2 + v13*h3 + c1\nz2 = v21*h1 + v22*h2 + v23*h3 + c2\nz3 = v31*h1 + v32*h2 + v33*h3\n"
        "m = max(max(z1, z2), z3)\ne1 = exp(z1 - m)\ne2 = exp(z2 - m)\ne3 = exp(z3 - m)\ns = e1 + e2 + e3\n"
        "L = -(y1*log(e1/s) + y2*log(e2/s) + y3*log(e3/s))",
        {"x1": "0.5", "x2": "-1.2", "w11": "0.3", "w12": "-0.8", "b1": "0.1", "w21": "0.9", "w22": "0.4",
         "b2": "-0.2", "w31": "-0.5", "w32": "0.7", "b3": "0.05", "v11": "1.1", "v12": "-0.6", "v13": "0.4",
         "c1": "0", "v21": "-0.3", "v22": "0.8", "v23": "-1.0", "c2": "0.1", "v31": "0.5", "v32": "0.2",
         "v33": "0.9", "y1": "0", "y2": "1", "y3": "0"},
    ),
    Example(
        "saturated-sigmoid", "Karpathy's saturated sigmoid",
        "The unit's input z = w·x + b is 20, so the sigmoid says 1 while the target is 0: the loss is "
        "as bad as it gets, yet the gradient is tiny. σ'(20) = σ(20)·σ(−20) is 2.1e-9, and every "
        "gradient behind the sigmoid is scaled down by it; the lint section points at the node. "
        "(From Karpathy's \"Yes you should understand backprop\".)",
        "z = w*x + b\np = sigmoid(z)\nL = (p - t)^2", {"w": "5", "x": "4", "b": "0", "t": "0"},
    ),
    Example(
        "dead-relu", "Karpathy's dead relu",
        "The relu's input w·x + b is −1.5, so it outputs 0 and its local derivative is 0: nothing flows "
        "back to w, x or b, whatever the loss says. A relu stuck there for every example never learns "
        "again. The lint names the dead relu and each input whose gradient is exactly 0.",
        "h = relu(w*x + b)\nL = (h - t)^2", {"w": "-1", "x": "2", "b": "0.5", "t": "1"},
    ),
    Example(
        "exploding-rnn", "Karpathy's exploding recurrence",
        "A recurrence h ← w·h unrolled 16 steps, as a recurrent network applies the same weight at every "
        "time step. The gradient is a product of 16 factors w = 2.5, so it explodes (2.5¹⁶ ≈ 1.5 × 10⁶); "
        "with |w| < 1 it would vanish. The lint shows the path and its factors; clipping the gradient "
        "or a gated cell (LSTM) are the usual cures.",
        "h = w*x\n" + "\n".join(["h = w*h"] * 15) + "\nL = h", {"w": "2.5", "x": "1"},
        options={"rankdir": "TB"},
    ),
    Example(
        "trained-neuron", "A trained neuron: logistic regression after 300 steps of gradient descent",
        "The weights are those `backprop train` found (docs/training.md): 300 steps with --lr 0.5 on the 16 "
        "points of docs/data/neuron.csv took the mean cross-entropy from log 2 = 0.693 to 0.0186. On the "
        "first point (x1 = 0.5, x2 = 1, y = 1) the neuron is now confident and right, so ∂L/∂z = p − y is "
        "small: this point has little left to teach, and its gradients barely move the weights. The run's loss "
        "curve: ![The loss of the trained neuron falling over 300 steps](../images/trained-neuron-curve.png)",
        "z = w1*x1 + w2*x2 + b; p = sigmoid(z); L = -(y*log(p) + (1 - y)*log(1 - p))",
        {"w1": "4.56677", "w2": "2.05811", "b": "-1.34427", "x1": "0.5", "x2": "1", "y": "1"},
        wrt=["w1", "w2", "b"],
    ),
    Example(
        "linear-layer", "A linear layer with a squared loss (vectors and matrices)",
        "Four rows of two features, X @ w + b, and the mean squared error. Every node carries its shape; "
        "∂L/∂w = Xᵀ · ∂L/∂(X @ w) is the only arrangement whose shapes give w's (2,), the bias b was "
        "broadcast to (4,) so its gradient sums over the rows, and the result is the closed form "
        "2·Xᵀ(Xw + b − y)/n.",
        "L = sum((X @ w + b - y)^2)/n",
        {"X": "[[1, 2], [2, 0], [3, 1], [4, 3]]", "w": "[0.5, -1]", "b": "1", "y": "[1, 2, 3, 4]", "n": "4"},
        options={"rankdir": "TB"}, arrays=True,
    ),
    Example(
        "softmax-classifier", "A softmax classifier: cross-entropy of W @ x + b (vectors and matrices)",
        "Three classes, the true one is 2. The gradient of the cross-entropy with respect to the logits "
        "is softmax(z) − onehot(2), and the weights' gradient is its outer product with x.",
        "L = cross_entropy(W @ x + b, 2)",
        {"W": "[[0.2, -0.5], [1.5, 1.3], [0, 0.25]]", "x": "[1, 2]", "b": "[0.1, 0, -0.1]"},
        options={"rankdir": "TB"}, arrays=True,
    ),
    Example(
        "tiny-mlp", "A tiny MLP: Matt Mazur's 2-2-2 network (vectors and matrices)",
        "The network of Mazur's \"A Step by Step Backpropagation Example\", written with matrices: "
        "his E = 0.298371109 and ∂E/∂w5 = 0.082167041 (here ∂E/∂W2 at row 0, column 0) come out.",
        "h = sigmoid(W1 @ i + b1)\no = sigmoid(W2 @ h + b2)\nE = sum(0.5 * (t - o)^2)",
        {"i": "[0.05, 0.10]", "W1": "[[0.15, 0.20], [0.25, 0.30]]", "b1": "0.35",
         "W2": "[[0.40, 0.45], [0.50, 0.55]]", "b2": "0.60", "t": "[0.01, 0.99]"},
        options={"rankdir": "TB"}, arrays=True,
    ),
]


def command(example: Example) -> str:
    """The CLI command that reproduces an example."""
    words = ["backprop", example.source.replace("\n", "; "), "--set"]
    words += [f"{name}={value}" for name, value in example.values.items()]
    if example.wrt:
        words += ["--wrt", ",".join(example.wrt)]
    if example.options.get("rankdir"):
        words += ["--rankdir", example.options["rankdir"]]
    words += ["-o", f"{example.slug}.png"]
    return " ".join(shlex.quote(word) for word in words)


def texts(example: Example) -> dict[str, str]:
    """The deterministic files of one example: its page and its DOT."""
    result = differentiate(example.source, example.values)
    if example.arrays:
        from backprop.arrays.check import check_array_gradients

        report = check_array_gradients(result)
        statuses = ", ".join(f"{c.name}: {'ok' if c.passed else 'FAILED'} ({len(c.elements)} of {c.size} elements)"
                             for c in report.checks)
        kinks = []
    else:
        report = check_gradients(example.source, example.values)
        statuses = ", ".join(f"{c.name}: {c.status}" for c in report.checks)
        kinks = [f"- {c.name}: {c.note}" for c in report.checks if c.note]
    page = [
        f"# {example.title}",
        "",
        example.lesson,
        "",
        "```sh",
        command(example),
        "```",
        "",
        f"![The computational graph of {example.title}]({example.slug}.png)",
        "",
        "## Derivation",
        "",
        result.derivation("markdown", wrt=example.wrt).rstrip("\n"),
        "",
        "<details><summary>The same derivation as the terminal prints it</summary>",
        "",
        "```text",
        result.derivation("text", wrt=example.wrt).rstrip("\n"),
        "```",
        "",
        "</details>",
        "",
        "## Gradient check",
        "",
        f"`--check` compares every gradient with a finite difference (tolerance {report.tol:g}): {statuses}.",
        *([""] + kinks if kinks else []),
        "",
        "[All examples](README.md)",
    ]
    if example.arrays:
        dot = result.to_dot(rankdir=example.options.get("rankdir", "LR"))
    else:
        dot = render_dot(result, wrt=example.wrt, rankdir=example.options.get("rankdir", "auto"))
    return {f"{example.slug}.md": "\n".join(page) + "\n", f"{example.slug}.dot": dot}


def index() -> str:
    """docs/gallery/README.md."""
    lines = [
        "# Gallery",
        "",
        "Worked examples for teaching backpropagation, each with its diagram, its derivation (as Markdown",
        "math and as terminal text) and a gradient check. Regenerate them all with",
        "`python scripts/gallery.py` (tests/test_gallery.py fails when a page is out of date).",
        "",
        "| example | program | what it shows |",
        "| --- | --- | --- |",
    ]
    for example in EXAMPLES:
        program = example.source.replace("\n", "; ").replace("|", "\\|")
        lines.append(f"| [{example.title}]({example.slug}.md) | `{program}` | {example.lesson.split('. ')[0].rstrip('.')}. |")
    lines += ["", "[![The neuron example](neuron.png)](neuron.md)"]
    return "\n".join(lines) + "\n"


def all_texts() -> dict[str, str]:
    """Every deterministic file of the gallery, by name."""
    files = {"README.md": index()}
    for example in EXAMPLES:
        files.update(texts(example))
    return files


DOT_DIGEST_KEY = "backprop-dot-sha256"


def dot_digest(dot: str) -> str:
    """The fingerprint of a DOT text that its PNG carries."""
    return hashlib.sha256(dot.encode("utf-8")).hexdigest()


def stamp_png(png: bytes, dot: str) -> bytes:
    """The PNG with a tEXt chunk naming the DOT it was drawn from, before IEND (pixels untouched)."""
    data = f"{DOT_DIGEST_KEY}\0{dot_digest(dot)}".encode("latin-1")
    chunk = struct.pack(">I", len(data)) + b"tEXt" + data + struct.pack(">I", zlib.crc32(b"tEXt" + data))
    end = png.rindex(b"IEND") - 4  # the IEND chunk starts with its 4-byte length
    return png[:end] + chunk + png[end:]


def main(argv: list[str]) -> int:
    files = all_texts()
    if "--check" in argv:
        stale = [name for name, text in files.items()
                 if not (GALLERY / name).exists() or (GALLERY / name).read_text(encoding="utf-8") != text]
        if stale:
            print(f"out of date in docs/gallery: {', '.join(stale)}; run python scripts/gallery.py", file=sys.stderr)
            return 1
        return 0
    GALLERY.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (GALLERY / name).write_text(text, encoding="utf-8")
        if name.endswith(".dot"):
            (GALLERY / name.replace(".dot", ".png")).write_bytes(stamp_png(run_dot(text, "png"), text))
    print(f"wrote {len(files)} files and {len(EXAMPLES)} pictures to {GALLERY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
