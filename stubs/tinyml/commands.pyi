"""Commands from a keyword model's scores, one window after another (README: "Commands from
scores")."""

from collections.abc import Sequence

from _tflm import Tensor

class Commands:
    """Turns a keyword model's scores into one command per spoken word."""

    labels: Sequence[str]
    average_ms: int
    minimum_count: int
    suppression_ms: int
    previous: str | None
    """The last command."""
    def __init__(
        self,
        output: Tensor,
        labels: Sequence[str],
        *,
        average_ms: int = 1000,
        threshold: float = 0.8,
        minimum_count: int = 3,
        suppression_ms: int = 1500,
        ignore: Sequence[str] = ("unknown", "silence"),
    ) -> None:
        """`output`: the model's int8 or uint8 output tensor; `labels`: its class names."""
    def update(self, now_ms: int | None = None) -> str | None:
        """Take the model's current output; a label when it makes a command, else None."""
