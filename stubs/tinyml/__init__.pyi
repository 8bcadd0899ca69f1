"""TinyML on MicroPython: models, tensors, windows, sensors, triggers, sleep.

Stubs for an editor on the PC: the README's "The device API" and "On the board" sections are
the manual. On the board the names load on first use; `import tinyml` then `tinyml.board`
works as `import tinyml.board` does.
"""

from tinyml import app as app
from tinyml import board as board
from tinyml import clock as clock
from tinyml import commands as commands
from tinyml import features as features
from tinyml import model as model
from tinyml import pipeline as pipeline
from tinyml import power as power
from tinyml import sensors as sensors
from tinyml import sidecar as sidecar
from tinyml import trigger as trigger
from tinyml import window as window
from tinyml.model import Model as Model
from tinyml.model import Tensor as Tensor
from tinyml.model import ops as ops
from tinyml.model import version as version
from tinyml.pipeline import Pipeline as Pipeline
from tinyml.sidecar import load as load
from tinyml.window import Window as Window
