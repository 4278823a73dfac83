// graphrep._core: the C++ kernels, as a plain pybind11 module (no libtorch).
#include <pybind11/pybind11.h>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace py = pybind11;

void register_orbits(py::module_& m);
void register_counts(py::module_& m);
void register_counts5(py::module_& m);

static int max_threads() {
#ifdef _OPENMP
  return omp_get_max_threads();
#else
  return 1;
#endif
}

PYBIND11_MODULE(_core, m) {
  m.doc() = "graphrep C++ kernels";
  m.def("max_threads", &max_threads, "OpenMP threads the kernels use (1 without OpenMP).");
  register_orbits(m);
  register_counts(m);
  register_counts5(m);
}
