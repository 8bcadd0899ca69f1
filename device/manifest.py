# Freezes the tinyml package into firmware: `host build` passes this file to MicroPython's
# build with FROZEN_MANIFEST (after the port's own manifest).
metadata(
    description="TinyML on MicroPython: models, windows, sensors, triggers, sleep, replay.",
    version="0.1.0",
    license="MIT",
)

package("tinyml")
