// OpenMP thread helpers shared by the kernels; without OpenMP every kernel
// runs on one thread.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

namespace graphrep {

// Threads a kernel runs on: the requested number, or all of OpenMP's for 0.
inline int resolve_threads(int requested) {
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

// The calling thread's number inside a parallel region (its scratch index).
inline int current_thread() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}

}  // namespace graphrep
