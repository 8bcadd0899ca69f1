"""tinyml's attributes load their submodule on first use: a submodule that fails to import
raises its own ImportError; only a name that is no submodule is a missing attribute."""

import os

import check
import tinyml


def import_error(name):
    try:
        getattr(tinyml, name)
    except ImportError as err:
        return str(err)
    return None


# A tinyml submodule that imports what does not exist, in a folder that stands in for the
# package's frozen path while the script looks it up.
os.mkdir("package")
with open("package/broken.py", "w") as f:
    f.write("import no_such_module_anywhere\n")
frozen = tinyml.__path__
tinyml.__path__ = "package"
try:
    check.eq(
        "a submodule's failing import raises as itself",
        import_error("broken"),
        "no module named 'no_such_module_anywhere'",
    )
    check.raises("a name that is no submodule", AttributeError, getattr, tinyml, "no_such_name")
finally:
    tinyml.__path__ = frozen
check.true("the frozen submodules still load", tinyml.Window is not None)
