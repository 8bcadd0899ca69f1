"""source -> window -> features -> model -> on_result, driven by triggers, between sleeps.

    pipe = Pipeline(imu, Window(100, channels=3, hop=25), model,
                    features=motion_features, feature_buffer=array("f", 24),
                    on_result=show, trigger=trigger.Motion(imu, 0.3), policy="event")
    pipe.run()        # forever on a board; on the simulator, until the recording ends

`features` is a function `features(window.view(), feature_buffer)` that computes a model
input from the whole window when it is due, or a streaming feature, an object with
`extend(samples, start, count)` and `view()` such as `tinyml.features.Spectrogram`, which
takes the samples as they arrive and needs no feature_buffer: a window then costs what its
last hop added, not the whole window again.

Policies, for the time between windows:
- "always": sample without sleeping; run the model on every window that is due
  (and, with a trigger, only when it has fired since the last run).
- "duty": light-sleep `duty_ms`, wake, take what the sensor's FIFO collected, run the model
  on each window due; the sensor keeps sampling while the MCU sleeps.
- "event": light-sleep until the trigger fires (its pins wake the MCU), then run the model
  once on a window of `hop` samples after the event and `length - hop` before it.
After `gc.collect()` a running pipeline allocates nothing: buffers are made here, once.
The features (or samples) are quantized into the input tensor (`tensor.quantize`); with
`quantize=K`, a number, they are multiplied by K first (ADC counts to the model's units,
without a float object per value); with `quantize=False` they are already the input
tensor's integers and are copied into it unchanged. Counters: `invokes`, `latency_us`
(last, CPU time), `latency_max_us`, `dropped` (events missed by the trigger plus samples
the sensor overran), `asleep_ms`.
"""

import time
from array import array

import tinyml.clock as clock
import tinyml.power as power

_POLICIES = ("always", "duty", "event")


class Pipeline:
    def __init__(
        self,
        source,
        window,
        model,
        *,
        on_result,
        features=None,
        feature_buffer=None,
        quantize=True,
        trigger=None,
        policy="always",
        duty_ms=1000,
    ):
        if policy not in _POLICIES:
            raise ValueError("Pipeline: policy must be one of %s, not %r" % (_POLICIES, policy))
        if policy == "event" and trigger is None:
            raise ValueError("Pipeline: policy 'event' needs a trigger")
        if window.channels != source.channels:
            raise ValueError(
                "Pipeline: window has %d channels, source %d" % (window.channels, source.channels)
            )
        # A streaming feature (an object with extend() and view(), such as
        # tinyml.features.Spectrogram) takes the samples as they arrive, so a window costs
        # only what its last hop added; a feature function sees the whole window at once.
        streaming = features is not None and hasattr(features, "extend")
        if (features is None or streaming) != (feature_buffer is None):
            raise ValueError(
                "Pipeline: a feature function needs a feature_buffer; a streaming feature"
                " or none takes none"
            )
        self._stream = features if streaming else None
        self.source = source
        self.window = window
        self.model = model
        self.features = features
        self.feature_buffer = feature_buffer
        self.on_result = on_result
        self.trigger = trigger
        self.policy = policy
        self.duty_ms = duty_ms
        self._input = model.input(0)
        # quantize=False: the features already are the input's integers (same scale and
        # type), so they are copied into the tensor's memory as they are.
        self._input_memory = memoryview(self._input) if quantize is False else None
        self._scale = 1.0 if quantize is True or quantize is False else float(quantize)
        output = model.output(0)
        size = 1
        for n in output.shape:
            size *= n
        self.result = array("f", bytes(4 * size))
        self._output = output
        self._period_us = max(1, 1000000 // source.rate)
        self.invokes = 0
        self.latency_us = 0
        self.latency_max_us = 0
        self.asleep_ms = 0

    @property
    def dropped(self):
        missed = self.trigger.total_missed() if self.trigger is not None else 0
        return missed + self.source.overruns

    def run(self):
        """Step until the source ends (a replay's EOFError); on a board, forever."""
        try:
            while True:
                self.step()
        except EOFError:
            pass

    def step(self):
        """One turn of the policy. Returns True if the model ran."""
        if self.policy == "event":
            return self._step_event()
        if self.policy == "duty":
            self._sleep(self.duty_ms)
            ran = False
            while self._collect():
                ran = self._maybe_invoke() or ran
            return ran
        if not self._collect():
            clock.sleep_us(self._period_us)  # nothing waiting: wait one sample period
            return False
        return self._maybe_invoke()

    def _collect(self):
        """Move waiting samples into the window; let level triggers see them."""
        n = self.source.drain(self.window)
        if n and self._stream is not None:
            view = self.window.view()
            items = n * self.window.channels
            self._stream.extend(view, len(view) - items, items)
        if n and self.trigger is not None:
            self.trigger.poll(self.window, n)
        return n

    def _maybe_invoke(self):
        if not self.window.due:
            return False
        if self.trigger is not None and not self.trigger.take():
            return False
        self.invoke()
        return True

    def _step_event(self):
        trigger = self.trigger
        if not trigger.take():
            if trigger.pins:
                self._sleep(None, trigger.pins)
            else:
                # Level triggers see samples only as they arrive: keep sampling.
                self._collect()
                if not self.window.due:
                    clock.sleep_us(self._period_us)
            if not trigger.take():
                return False
        # What the sensor buffered up to the event goes in as history, then `hop` samples
        # after it complete the window: length - hop samples of pre-trigger.
        while self._collect():
            pass
        self.window.restart_hop()
        while not self.window.due:
            if not self._collect():
                clock.sleep_us(self._period_us)
        self.invoke()
        trigger.take()  # events while the window filled belong to this run
        return True

    def _sleep(self, ms, wake=()):
        start = clock.ticks_ms()
        power.sleep(ms, "light", wake)
        self.asleep_ms += clock.ticks_diff(clock.ticks_ms(), start)

    def invoke(self):
        """Run features and the model on the window as it is now; call on_result."""
        start = time.ticks_us()
        if self._stream is not None:
            values = self._stream.view()
        elif self.features is not None:
            self.features(self.window.view(), self.feature_buffer)
            values = self.feature_buffer
        else:
            values = self.window.view()
        if self._input_memory is None:
            self._input.quantize(values, self._scale)
        else:
            self._input_memory[:] = values
        self.model.invoke()
        self._output.dequantize(out=self.result)
        latency = time.ticks_diff(time.ticks_us(), start)
        self.latency_us = latency
        if latency > self.latency_max_us:
            self.latency_max_us = latency
        self.invokes += 1
        self.on_result(self.result)
