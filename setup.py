"""Build hook for tracetui's three optional C accelerators: `tracetui/_fastfold.c`
(the anomaly scan's common lines), `tracetui/_fastindex.c` (the Inspect
decoder's common lines, scanned ahead on a second thread where pthreads
are) and `tracetui/_listops.c` (the span tree's long lists searched and
copied). Everything else is in pyproject.toml. `optional=True`: where they
cannot be compiled (no C compiler), tracetui installs all the same and
Python does their work, slower."""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension(f"tracetui.{name}", [f"tracetui/{name}.c"], depends=["tracetui/_jsonscan.h", "tracetui/_span.h", "tracetui/_column.h", "tracetui/_sample.h", "tracetui/_spanindex.h", "tracetui/_eventlog.h", "tracetui/_tablerows.h", "tracetui/_tablefetch.h", "tracetui/_attrtext.h"], optional=True,
              extra_compile_args=["-O3"])
    for name in ("_fastfold", "_fastindex", "_listops")
])
