#ifndef CLAPACK_SHIM_H
#define CLAPACK_SHIM_H
/* LAPACKE (Debian: liblapacke-dev) over OpenBLAS's LAPACK (Debian: libopenblas-dev). */
#include <lapacke.h>
/* From OpenBLAS's cblas.h (not on the default include path in Debian); used to pin the
   thread count so that the float spectrum is computed the same way on every run. */
void openblas_set_num_threads(int num_threads);
/* C += alpha·AᵀA (Trans) or alpha·AAᵀ: used by the modular Hessian builder with integer-valued
   doubles below 2^53 (exact integer arithmetic carried by the FPU; see GramProduct.swift).
   Enum arguments as ints: CblasRowMajor 101, CblasUpper 121, CblasTrans 112. */
void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha, const double *a,
                 int lda, double beta, double *c, int ldc);
/* C = alpha·A·B + beta·C (row-major 101, no transpose 111): the exact modular eliminations
   use it on integer-valued doubles whose partial sums stay below 2^53 (CentredArithmetic). */
void cblas_dgemm(int order, int transa, int transb, int m, int n, int k, double alpha,
                 const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc);
#endif
