"""Assertions for device test scripts: each prints one line per check; a failure raises."""

import gc


def eq(name, got, want):
    if got != want:
        raise AssertionError("%s: got %r, want %r" % (name, got, want))
    print(name, "ok")


def true(name, condition, detail=""):
    if not condition:
        raise AssertionError("%s failed %s" % (name, detail))
    print(name, "ok")


def raises(name, exc_type, fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except exc_type as err:
        print(name, "raises", exc_type.__name__ + ":", err)
        return
    raise AssertionError("%s: no %s raised" % (name, exc_type.__name__))


def allocated(fn, n):
    """Heap bytes that `fn(n)` allocates, after a warm-up call, with the collector off."""
    fn(1)
    gc.collect()
    gc.disable()
    before = gc.mem_alloc()
    fn(n)
    after = gc.mem_alloc()
    gc.enable()
    return after - before
