"""The exercises: what a student writes, in the chapter's order.

Conventions shared by every exercise (the book's, as in the core):

- An example is a column; w^l has shape (n_l, n_(l−1)); b^l, z^l, a^l and δ^l are columns
  of shape (n_l, 1), or (n_l, m) for m examples side by side (one column each).
- ``sigma_prime`` and ``f_prime`` are functions: call them on an array of z.
- BP1, BP2 and the modified neuron are element-wise in the examples: they get m ≥ 1 columns
  and return one column of δ per example.
- BP3 and BP4 get a batch (m ≥ 1 columns of δ and of a^(l−1)) and return the **mean over the
  batch**, the gradient of C = 1/m Σ_x C_x: ∂C/∂b^l of shape (n_l, 1), ∂C/∂w^l of the shape of
  w^l. With one example (m = 1) this is BP3 and BP4 exactly.
- ``backprop``, ``matrix_backprop`` and ``linear_backprop`` get ``weights`` and ``biases`` as
  lists as in the book's network.py: index 0 is layer 2, the last is layer L. They return
  ``(nabla_b, nabla_w)``, each either such a list or a dict keyed by the book's l = 2…L.
- The cost is the quadratic cost (eq. 26, 27): ∇_a C = a^L − y for one example.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType


@dataclass(frozen=True)
class Exercise:
    """One thing to write.

    ``name`` is the key in ``EXERCISES``; ``function_name`` the name of the notebook's stub;
    ``arguments`` the names of the arguments ``check`` passes, in order (positionally);
    ``equation`` the book's number it practises; ``task_latex`` the equation to write
    (KaTeX-ready, the book's notation); ``task_text`` what to write, in plain words, shapes
    included; ``batch`` whether the cases give more than one example at once.
    """

    name: str
    title: str
    signature: str
    function_name: str
    arguments: tuple[str, ...]
    task_latex: str
    task_text: str
    equation: str
    batch: bool

    def __repr__(self) -> str:
        return f"Exercise({self.name!r}: {self.signature})"


def _exercise(name, title, function_name, arguments, returns, latex, text, equation, batch):
    signature = f"{function_name}({', '.join(arguments)}) -> {returns}"
    return Exercise(name, title, signature, function_name, tuple(arguments), latex, text,
                    equation, batch)


_ALL = [
    _exercise(
        "BP1", "The error in the output layer", "bp1", ["nabla_a", "z", "sigma_prime"],
        "delta",
        r"\delta^L = \nabla_a C \odot \sigma'(z^L)",
        "Return δ^L, the output layer's error. nabla_a is ∂C/∂a^L and z is z^L, both of "
        "shape (n_L, m) with one column per example; sigma_prime is the function σ'. "
        "The result has the same shape.",
        "BP1", True,
    ),
    _exercise(
        "BP2", "The error of a layer from the next one", "bp2",
        ["w_next", "delta_next", "z", "sigma_prime"], "delta",
        r"\delta^l = \left((w^{l+1})^T \delta^{l+1}\right) \odot \sigma'(z^l)",
        "Return δ^l. w_next is w^(l+1), of shape (n_(l+1), n_l); delta_next is δ^(l+1), "
        "shape (n_(l+1), m); z is z^l, shape (n_l, m); sigma_prime is the function σ'. "
        "The result has shape (n_l, m), one column per example.",
        "BP2", True,
    ),
    _exercise(
        "BP3", "The gradient for the biases", "bp3", ["delta"], "nabla_b",
        r"\frac{\partial C}{\partial b^l_j} = \delta^l_j",
        "Return ∂C/∂b^l. delta is δ^l of shape (n_l, m), one column per example; the cost "
        "is the mean of the examples' costs, so return the mean of their gradients: a column "
        "of shape (n_l, 1), like b^l.",
        "BP3", True,
    ),
    _exercise(
        "BP4", "The gradient for the weights", "bp4", ["a_prev", "delta"], "nabla_w",
        r"\frac{\partial C}{\partial w^l_{jk}} = a^{l-1}_k \delta^l_j",
        "Return ∂C/∂w^l. a_prev is a^(l−1), shape (n_(l−1), m); delta is δ^l, shape "
        "(n_l, m); one column per example. Return the mean over the examples, an array of "
        "the shape of w^l: (n_l, n_(l−1)).",
        "BP4", True,
    ),
    _exercise(
        "backprop", "Backpropagation for one example", "backprop",
        ["weights", "biases", "x", "y"], "(nabla_b, nabla_w)",
        r"\delta^L = (a^L - y) \odot \sigma'(z^L),\quad "
        r"\delta^l = ((w^{l+1})^T \delta^{l+1}) \odot \sigma'(z^l),\quad "
        r"\frac{\partial C}{\partial b^l} = \delta^l,\quad "
        r"\frac{\partial C}{\partial w^l} = \delta^l (a^{l-1})^T",
        "Write the whole algorithm for a sigmoid network and the quadratic cost: feed x "
        "forward, find δ^L (BP1), carry it back (BP2), and return (nabla_b, nabla_w) (BP3, "
        "BP4). weights and biases are lists as in network.py (index 0 is layer 2); x has "
        "shape (n_1, 1), y shape (n_L, 1). Return two lists in the same order (or dicts "
        "keyed by the book's l).",
        "BP1–BP4", False,
    ),
    _exercise(
        "matrix_backprop", "Backpropagation for a mini-batch at once", "matrix_backprop",
        ["weights", "biases", "X", "Y"], "(nabla_b, nabla_w)",
        r"\Delta^L = (A^L - Y) \odot \sigma'(Z^L),\quad "
        r"\Delta^l = ((w^{l+1})^T \Delta^{l+1}) \odot \sigma'(Z^l),\quad "
        r"\frac{\partial C}{\partial w^l} = \frac{1}{m}\Delta^l (A^{l-1})^T",
        "The same as backprop for a mini-batch held as matrices: X has shape (n_1, m) and Y "
        "shape (n_L, m), one column per example, and no loop over the examples is needed. "
        "Return the gradients of the mean cost: nabla_b[l] of shape (n_l, 1) and nabla_w[l] "
        "of the shape of w^l, as lists (index 0 is layer 2) or dicts keyed by l.",
        "BP1–BP4", True,
    ),
    _exercise(
        "modified_neuron", "Backpropagation with a single modified neuron",
        "modified_neuron_bp2",
        ["w_next", "delta_next", "z", "sigma_prime", "f_prime", "j"], "delta",
        r"\delta^l_i = \left((w^{l+1})^T \delta^{l+1}\right)_i \cdot "
        r"\begin{cases} f'(z^l_i) & i = j \\ \sigma'(z^l_i) & i \neq j \end{cases}",
        "Neuron j of layer l computes f(z) instead of σ(z); every other neuron is a sigmoid. "
        "Return δ^l as in BP2 (same arguments and shapes) with f'(z) for that neuron alone. "
        "j is a numpy row index (0-based); f_prime is the function f'.",
        "BP2", True,
    ),
    _exercise(
        "linear_neurons", "Backpropagation with linear neurons", "linear_backprop",
        ["weights", "biases", "x", "y"], "(nabla_b, nabla_w)",
        r"\sigma(z) = z:\quad \delta^L = a^L - y,\quad \delta^l = (w^{l+1})^T \delta^{l+1}",
        "Every neuron is linear, σ(z) = z, with the quadratic cost. Write backprop for one "
        "example with the same arguments and return as backprop: weights and biases as "
        "network.py's lists, x of shape (n_1, 1), y of shape (n_L, 1).",
        "BP1–BP4", False,
    ),
]

# The chapter's order: the four equations (proved in its fourth section), the algorithm, the
# two exercises that follow the algorithm, then the fully matrix-based mini-batch (the problem
# in the section on the code).
_ORDER = ("BP1", "BP2", "BP3", "BP4", "backprop", "modified_neuron", "linear_neurons", "matrix_backprop")
EXERCISES = MappingProxyType({name: next(ex for ex in _ALL if ex.name == name) for name in _ORDER})
"""name → Exercise, in the chapter's order (a read-only ordered mapping)."""
assert len(EXERCISES) == len(_ALL)


def get_exercise(name) -> Exercise:
    """An ``Exercise`` from its name (or the exercise itself); a clear KeyError otherwise."""
    if isinstance(name, Exercise):
        return name
    if not isinstance(name, str):
        raise KeyError(f"name: expected an exercise name or an Exercise, got {type(name).__name__}")
    try:
        return EXERCISES[name]
    except KeyError:
        raise KeyError(
            f"name: unknown exercise {name!r}; the exercises are {', '.join(EXERCISES)}"
        ) from None
