"""source -> window -> features -> model -> on_result, driven by triggers, between sleeps
(README: "Pipelines")."""

from array import array
from collections.abc import Callable
from typing import Any, Literal

from _tflm import Model
from tinyml._types import AnyWindow, FeatureFunction, Source, StreamingFeature
from tinyml.trigger import Trigger

class Pipeline:
    """Samples from `source` into `window`; each window due runs `features` and `model` and
    calls `on_result` with the dequantized output."""

    source: Source
    window: AnyWindow
    model: Model
    features: FeatureFunction | StreamingFeature | None
    feature_buffer: Any
    on_result: Callable[[array[float]], object]
    trigger: Trigger | None
    policy: Literal["always", "duty", "event"]
    duty_ms: int
    result: array[float]
    """The model's output, dequantized (reused every time)."""
    invokes: int
    latency_us: int
    """The last run's CPU time."""
    latency_max_us: int
    asleep_ms: int
    def __init__(
        self,
        source: Source,
        window: AnyWindow,
        model: Model,
        *,
        on_result: Callable[[array[float]], object],
        features: FeatureFunction | StreamingFeature | None = None,
        feature_buffer: Any = None,
        quantize: bool | float = True,
        trigger: Trigger | None = None,
        policy: Literal["always", "duty", "event"] = "always",
        duty_ms: int = 1000,
    ) -> None:
        """`quantize`: True, a factor for the values, or False (they are the input's
        integers); `policy`: "always", "duty" (sleep `duty_ms` between reads) or "event"
        (sleep until `trigger`)."""
    @property
    def dropped(self) -> int:
        """Trigger misses plus sensor overruns."""
    def run(self) -> None:
        """Step forever (on the simulator: until the recording ends)."""
    def step(self) -> bool:
        """One turn of the policy; True if the model ran."""
    def invoke(self) -> None:
        """Run the features and the model on the window as it is now; call on_result."""
