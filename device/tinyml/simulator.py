"""Start-up of the simulator (the unix port), standing in for a board's boot.

`host run SCRIPT --board unix` starts `micropython -c "import tinyml.simulator"` with:
TINYML_SCRIPT, the script to run as __main__; TINYML_ROMFS, an optional ROMFS image that is
mounted at /rom as a board mounts its ROM partition; TINYML_DATA, the recording that
tinyml.board replays as sensors. Without TINYML_SCRIPT (`host repl`) it only mounts /rom.
"""

import os
import sys

import vfs


def _mount_rom(image):
    with open(image, "rb") as f:
        vfs.mount(vfs.VfsRom(f.read()), "/rom")
    sys.path.append("/rom")
    sys.path.append("/rom/lib")


def main():
    image = os.getenv("TINYML_ROMFS")
    if image:
        _mount_rom(image)
    script = os.getenv("TINYML_SCRIPT")
    if not script:
        return
    with open(script) as f:
        source = f.read()
    folder = script.rsplit("/", 1)[0] if "/" in script else "."
    sys.path.insert(0, folder)
    try:
        exec(compile(source, script, "exec"), {"__name__": "__main__", "__file__": script})
    except SystemExit:
        raise
    except BaseException as err:
        sys.print_exception(err)
        sys.exit(1)


main()
