#ifndef CLAPACK_SHIM_H
#define CLAPACK_SHIM_H
/* LAPACKE (Debian: liblapacke-dev) over OpenBLAS's LAPACK (Debian: libopenblas-dev). */
#include <lapacke.h>
/* From OpenBLAS's cblas.h (not on the default include path in Debian); used to pin the
   thread count so that the float spectrum is computed the same way on every run. */
void openblas_set_num_threads(int num_threads);
#endif
