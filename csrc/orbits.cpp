#include <pybind11/pybind11.h>
namespace py = pybind11;
void register_orbits(py::module_& m) {}
