#ifndef CLAPACK_H
#define CLAPACK_H
/* LAPACKE and the few CBLAS routines HessianRank uses, over Debian's OpenBLAS
   (libopenblas0, liblapacke). The libraries are NOT linked at start-up: the first call loads
   them with dlopen (LazyBLAS.c), after capping OpenBLAS's thread count to the CPUs this
   process may use (and to 1 under an address-space limit), so that a command that never
   calls BLAS never starts OpenBLAS's thread pool, and a small `ulimit -v` cannot hang
   start-up. Prototypes for LAPACKE come from lapacke.h (Debian: liblapacke-dev). */
#include <lapacke.h>

/* Pins OpenBLAS's thread count (the float spectrum is computed the same way on every run). */
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

/* 1 when OpenBLAS is loaded (for tests and diagnostics). */
int hessrank_blas_loaded(void);
#endif
