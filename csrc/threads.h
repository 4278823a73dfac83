// OpenMP thread queries shared by the kernels; without OpenMP everything
// runs on one thread.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

// The threads a kernel call uses: `requested` when positive, else OpenMP's
// default (OMP_NUM_THREADS or all cores).
inline int thread_count(int requested) {
#ifdef _OPENMP
  return requested > 0 ? requested : omp_get_max_threads();
#else
  (void)requested;
  return 1;
#endif
}

// The calling thread's number inside a parallel region (0 outside one).
inline int thread_id() {
#ifdef _OPENMP
  return omp_get_thread_num();
#else
  return 0;
#endif
}
