"""Interrupts under load: the keyword example's pipeline runs on a recording in /rom while
the emulator drives PULSE_PIN at 10 kHz into a PinEdge trigger (a hard interrupt handler),
which is the pipeline's trigger. Drives READY_PIN high to start the pulses once everything
is armed and warm, runs for SECONDS, and prints

    LOAD <events> <missed> <invokes> <heap bytes grown>

`events` counts every edge the handler saw, `missed` those that came while one was pending
(the pipeline takes one per window). A handler that allocated would raise in the interrupt
(the heap is locked there) and its interrupt would be switched off: events would fall short
of the edges driven.
"""

import gc
import time

import tinyml
import tinyml.trigger as trigger
from machine import Pin
from tinyml import Pipeline, Window
from tinyml.sensors import Replay

PULSE_PIN = 2
READY_PIN = 3
SECONDS = 3


def main():
    keyword = tinyml.load("/rom/keyword.tflite")
    ready = Pin(READY_PIN, Pin.OUT, value=0)
    pulses = trigger.PinEdge(Pin(PULSE_PIN, Pin.IN), edge="rising")

    def ignore(scores):
        pass

    pipe = Pipeline(
        Replay("/rom/speech.wav", fifo=keyword.window // 4),
        Window(keyword.window, hop=12 * keyword.params["hop"]),
        keyword.model,
        features=keyword.spectrogram(),
        quantize=False,
        on_result=ignore,
        trigger=pulses,
    )
    pulses.fire()  # the first window runs without pulses: views and buffers are made once
    while pipe.invokes < 1:
        pipe.step()
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    start = time.ticks_ms()
    ready.value(1)
    while time.ticks_diff(time.ticks_ms(), start) < SECONDS * 1000:
        pipe.step()
    grown = gc.mem_alloc() - before
    gc.enable()
    print("LOAD", pulses.events - 1, pulses.missed, pipe.invokes - 1, grown)
    print("samples dropped", pipe.source.overruns, "invoke latency max us", pipe.latency_max_us)


main()
