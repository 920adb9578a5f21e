"""Build hook for tracetui's one optional C accelerator (`tracetui/_fastfold.c`,
the anomaly scan's common lines). Everything else is in pyproject.toml.
`optional=True`: where it cannot be compiled (no C compiler), tracetui
installs all the same and the scan runs in pure Python, slower."""

from setuptools import Extension, setup

setup(ext_modules=[
    Extension(f"tracetui.{name}", [f"tracetui/{name}.c"], depends=["tracetui/_jsonscan.h"], optional=True,
              extra_compile_args=["-O3"])
    for name in ("_fastfold", "_fastindex")
])
