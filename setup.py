"""Builds the optional C++ core (csrc/) as a plain pybind11 module.

The extension is optional: when it cannot be compiled the install still
succeeds and graphrep falls back to its Numba kernels.
"""
import glob
import sys

from pybind11.setup_helpers import Pybind11Extension, build_ext
from setuptools import setup

openmp = [] if sys.platform == "darwin" else ["-fopenmp"]

ext_modules = [
    Pybind11Extension(
        "graphrep._core",
        sorted(glob.glob("csrc/*.cpp")),
        include_dirs=["csrc"],
        cxx_std=17,
        extra_compile_args=["-O3"] + openmp,
        extra_link_args=openmp,
        optional=True,
    )
]

setup(ext_modules=ext_modules, cmdclass={"build_ext": build_ext})
