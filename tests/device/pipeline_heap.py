"""The heap an example's pipeline allocates in steady state: prepended to the example's
main.py (`run_example(SOURCE)` appended), it makes every Pipeline the example builds run
WARMUP invokes, then WINDOWS more with the collector off, and print

    HEAP <pipeline bytes> <on_result bytes> <invokes> <microseconds of samples>

The pipeline's bytes are all it allocated (sensor, window, trigger, features, model, the
Pipeline itself) less what the example's on_result allocated reporting a result (printing
formats strings), which is counted apart. Then the example stops.
"""

import gc

import tinyml
import tinyml.clock as clock
import tinyml.pipeline as pipeline

WARMUP = 10  # views, first invokes and the sensor's buffers are made once, here
WINDOWS = 100


class Measured(Exception):
    """Ends the example once its pipeline has been measured."""


Pipeline = pipeline.Pipeline


class MeasuredPipeline(Pipeline):
    def __init__(self, *args, on_result, **kwargs):
        self._report = on_result
        self.report_bytes = 0
        super().__init__(*args, on_result=self._counted_report, **kwargs)

    def _counted_report(self, result):
        before = gc.mem_alloc()
        self._report(result)
        self.report_bytes += gc.mem_alloc() - before

    def run(self):
        self._measure()

    def step(self):
        self._measure()

    def _measure(self):
        step = Pipeline.step
        while self.invokes < WARMUP:
            step(self)
        gc.collect()
        gc.disable()
        try:
            self.report_bytes = 0
            before = gc.mem_alloc()
            start_us = clock.ticks_us()
            while self.invokes < WARMUP + WINDOWS:
                step(self)
            grown = gc.mem_alloc() - before
            elapsed_us = clock.ticks_diff(clock.ticks_us(), start_us)
        finally:
            gc.enable()
        print("HEAP", grown - self.report_bytes, self.report_bytes, WINDOWS, elapsed_us)
        raise Measured()


pipeline.Pipeline = MeasuredPipeline
tinyml.Pipeline = MeasuredPipeline


def run_example(source):
    try:
        exec(source, {"__name__": "__main__"})
    except Measured:
        pass
