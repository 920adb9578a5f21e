"""Build hook for tracetui's two optional C accelerators: `tracetui/_fastfold.c`
(the anomaly scan's common lines) and `tracetui/_fastindex.c` (the Inspect
decoder's common lines, scanned ahead on a second thread where pthreads
are). Everything else is in pyproject.toml. `optional=True`: where they
cannot be compiled (no C compiler), tracetui installs all the same and
Python reads every line, slower."""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension(f"tracetui.{name}", [f"tracetui/{name}.c"], depends=["tracetui/_jsonscan.h"], optional=True,
              extra_compile_args=["-O3"])
    for name in ("_fastfold", "_fastindex")
])
