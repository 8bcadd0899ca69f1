"""The deployed app: `host deploy` writes it to /apps/a or /apps/b and a fixed /main.py,

    import tinyml.app
    tinyml.app.main()

that runs the active app's main.py with its lib/ on sys.path. /apps/ACTIVE names the active
app, followed, while that app has not yet started cleanly, by the previous one: a first start
that raises switches back to it. In an app:

    model, labels = tinyml.app.load_model("gesture")   # /rom/gesture.tflite, sha256 checked
"""

import os
import sys

from micropython import const

APPS = "/apps"
ACTIVE = "/apps/ACTIVE"
# An app that has run this long before raising did start: its error is its own, not a
# broken deploy, and rolling back would hide it.
_TRIAL_MS = const(10000)


def state():
    """(active app, previous app or None while the active one is on trial); (None, None) if
    nothing was deployed."""
    try:
        with open(ACTIVE) as f:
            names = f.read().split()
    except OSError:
        return None, None
    if not names:
        return None, None
    return names[0], names[1] if len(names) > 1 else None


def switch(active, previous=None):
    """Make `active` the app in one step: a new ACTIVE file renamed over the old one (a rename
    is atomic on littlefs, so a reset at any point leaves the old or the new file)."""
    temporary = ACTIVE + ".tmp"
    with open(temporary, "w") as f:
        f.write(active if previous is None else active + " " + previous)
    os.rename(temporary, ACTIVE)


def started():
    """The active app started cleanly: keep it (the previous one may now be replaced). An app
    that never returns calls this once it is up; one that returns is kept anyway."""
    active, previous = state()
    if previous is not None:
        switch(active)


def load_model(name, arena=None):
    """(the model /rom/NAME.tflite, checked against its sidecar's sha256; the sidecar's labels)."""
    from tinyml.model import _tflm, verified

    model, sidecar = verified("/rom/%s.tflite" % name)
    return _tflm.Model(model, arena=arena), sidecar.get("labels")


def run(name):
    """Run app `name`'s main.py as __main__, from its folder, with its lib/ first on sys.path;
    None if it returned, else the milliseconds it ran before raising (traceback printed)."""
    import time

    folder = APPS + "/" + name
    path = folder + "/main.py"
    imported = set(sys.modules)
    start = time.ticks_ms()
    sys.path.insert(0, folder + "/lib")
    try:
        os.chdir(folder)
        with open(path) as f:
            code = compile(f.read(), path, "exec")
        exec(code, {"__name__": "__main__", "__file__": path})
    except Exception as err:  # an app folder a cut deploy left unreadable fails here too
        sys.print_exception(err)
        # The app's own modules go with it: another app's lib/ may have modules of the
        # same name.
        for module in set(sys.modules) - imported:
            del sys.modules[module]
        return time.ticks_diff(time.ticks_ms(), start)
    finally:
        sys.path.remove(folder + "/lib")
        os.chdir("/")
    return None


def main():
    """The launcher: run the active app; roll back a first start that raises."""
    active, previous = state()
    if active is None:
        print("tinyml.app: no app deployed here; host deploy APP puts one")
        return
    failed_after = run(active)
    if failed_after is None or previous is None or failed_after >= _TRIAL_MS:
        started()
        return
    switch(previous)
    print(
        "tinyml.app: app %s raised on its first start; rolled back to app %s" % (active, previous)
    )
    run(previous)
