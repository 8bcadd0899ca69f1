# Freezes the tinyml package into firmware: `host build` passes this file to MicroPython's
# build with FROZEN_MANIFEST (after the port's own manifest).
# The version is the project's (host/__init__.py); the firmware reports it as tinyml.version.
metadata(
    description="TinyML on MicroPython: models, windows, sensors, triggers, sleep, replay.",
    license="MIT",
)

package("tinyml")
