/* Loads OpenBLAS and LAPACKE on first use (see include/CLapack.h for why). Each public
   function below forwards to the library's own symbol, found with dlsym on the library's
   handle (never on the global scope, so these wrappers cannot find themselves). */
#define _GNU_SOURCE
#include "CLapack.h"
#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

static void *blas_handle;
static void *lapacke_handle;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;

/* OpenBLAS reads OPENBLAS_NUM_THREADS when it is loaded. Unless the user set it: the number
   of CPUs in this process's affinity mask (what Slurm, taskset or a cgroup cpuset grant),
   at most a Slurm job's allocation (as AvailableCPUs.slurmAllocation: SLURM_CPUS_PER_TASK,
   else SLURM_CPUS_ON_NODE, inside a job), and 1 under an address-space limit, where
   OpenBLAS's per-thread buffers may not fit. */
static int slurm_allocation(void) {
  if (getenv("SLURM_JOB_ID") == NULL) return 0;
  const char *names[] = {"SLURM_CPUS_PER_TASK", "SLURM_CPUS_ON_NODE"};
  for (int i = 0; i < 2; ++i) {
    const char *text = getenv(names[i]);
    if (text == NULL) continue;
    char *end = NULL;
    long n = strtol(text, &end, 10);
    if (end != text && *end == '\0' && n > 0 && n < 1 << 20) return (int)n;
  }
  return 0;
}

static void cap_threads(void) {
  if (getenv("OPENBLAS_NUM_THREADS") != NULL) return;
  int threads = 1;
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof set, &set) == 0) threads = CPU_COUNT(&set);
  int allocated = slurm_allocation();
  if (allocated > 0 && allocated < threads) threads = allocated;
  struct rlimit rl;
  if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) threads = 1;
  if (threads < 1) threads = 1;
  char text[16];
  snprintf(text, sizeof text, "%d", threads);
  setenv("OPENBLAS_NUM_THREADS", text, 0);
}

/* OpenBLAS's pool threads busy-wait (sched_yield) for 2^28 cycles, about 0.1 s, after they
   start and after each threaded call before they sleep: CPU time burnt in every process, even
   one whose BLAS calls are all single-threaded (the exact paths). Unless the user set
   OPENBLAS_THREAD_TIMEOUT: 2^20 cycles (under a millisecond), which still keeps the pool awake
   between back-to-back threaded calls. */
static void cap_spinning(void) {
  if (getenv("OPENBLAS_THREAD_TIMEOUT") != NULL) return;
  setenv("OPENBLAS_THREAD_TIMEOUT", "20", 0);
}

/* OpenBLAS picks its kernels from the CPU model; on CPUs it does not know (e.g. a virtual
   "Intel Xeon Processor") it falls back to Prescott's SSE3 kernels, about 4x slower for dgemm
   than the AVX-512 ones the CPU has. Unless the user set OPENBLAS_CORETYPE: SkylakeX kernels
   when the CPU has AVX-512 F/DQ/BW/VL, Haswell's when it has AVX2 and FMA. The products stay
   exact: every dgemm here multiplies integer-valued doubles whose sums stay below 2^53, so the
   kernel's order of summation and its FMAs do not change a single bit. */
static void pick_kernels(void) {
  if (getenv("OPENBLAS_CORETYPE") != NULL) return;
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl")) {
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 0);
  } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    setenv("OPENBLAS_CORETYPE", "Haswell", 0);
  }
}

static void *open_first(const char *const *names) {
  for (; *names != NULL; ++names) {
    void *h = dlopen(*names, RTLD_NOW | RTLD_GLOBAL);
    if (h != NULL) return h;
  }
  return NULL;
}

static void load(void) {
  cap_threads();
  cap_spinning();
  pick_kernels();
  static const char *const blas_names[] = {"libopenblas.so.0", "libopenblas.so", NULL};
  static const char *const lapacke_names[] = {"liblapacke.so.3", "liblapacke.so", NULL};
  blas_handle = open_first(blas_names);
  if (blas_handle == NULL) {
    fprintf(stderr, "hessrank: error: cannot load OpenBLAS (libopenblas.so.0: %s); install Debian's libopenblas0 (or run make deps)\n", dlerror());
    exit(2);
  }
  lapacke_handle = open_first(lapacke_names);
  if (lapacke_handle == NULL) {
    fprintf(stderr, "hessrank: error: cannot load LAPACKE (liblapacke.so.3: %s); install Debian's liblapacke (or run make deps)\n", dlerror());
    exit(2);
  }
}

static void *symbol(void **handle, const char *name) {
  pthread_once(&load_once, load);
  void *f = dlsym(*handle, name);
  if (f == NULL) {
    fprintf(stderr, "hessrank: error: the loaded BLAS/LAPACKE has no %s\n", name);
    exit(2);
  }
  return f;
}

int hessrank_blas_loaded(void) { return blas_handle != NULL; }

void openblas_set_num_threads(int num_threads) {
  static void (*f)(int);
  if (f == NULL) f = (void (*)(int))symbol(&blas_handle, "openblas_set_num_threads");
  f(num_threads);
}

void cblas_dsyrk(int order, int uplo, int trans, int n, int k, double alpha, const double *a,
                 int lda, double beta, double *c, int ldc) {
  typedef void (*fn)(int, int, int, int, int, double, const double *, int, double, double *, int);
  static fn f;
  if (f == NULL) f = (fn)symbol(&blas_handle, "cblas_dsyrk");
  f(order, uplo, trans, n, k, alpha, a, lda, beta, c, ldc);
}

void cblas_dgemm(int order, int transa, int transb, int m, int n, int k, double alpha,
                 const double *a, int lda, const double *b, int ldb, double beta, double *c, int ldc) {
  typedef void (*fn)(int, int, int, int, int, int, double, const double *, int, const double *, int,
                     double, double *, int);
  static fn f;
  if (f == NULL) f = (fn)symbol(&blas_handle, "cblas_dgemm");
  f(order, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

lapack_int LAPACKE_dgesdd(int matrix_layout, char jobz, lapack_int m, lapack_int n, double *a,
                          lapack_int lda, double *s, double *u, lapack_int ldu, double *vt,
                          lapack_int ldvt) {
  typedef lapack_int (*fn)(int, char, lapack_int, lapack_int, double *, lapack_int, double *,
                           double *, lapack_int, double *, lapack_int);
  static fn f;
  if (f == NULL) f = (fn)symbol(&lapacke_handle, "LAPACKE_dgesdd");
  return f(matrix_layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt);
}

lapack_int LAPACKE_sgesdd(int matrix_layout, char jobz, lapack_int m, lapack_int n, float *a,
                          lapack_int lda, float *s, float *u, lapack_int ldu, float *vt,
                          lapack_int ldvt) {
  typedef lapack_int (*fn)(int, char, lapack_int, lapack_int, float *, lapack_int, float *,
                           float *, lapack_int, float *, lapack_int);
  static fn f;
  if (f == NULL) f = (fn)symbol(&lapacke_handle, "LAPACKE_sgesdd");
  return f(matrix_layout, jobz, m, n, a, lda, s, u, ldu, vt, ldvt);
}

lapack_int LAPACKE_dsyevd(int matrix_layout, char jobz, char uplo, lapack_int n, double *a,
                          lapack_int lda, double *w) {
  typedef lapack_int (*fn)(int, char, char, lapack_int, double *, lapack_int, double *);
  static fn f;
  if (f == NULL) f = (fn)symbol(&lapacke_handle, "LAPACKE_dsyevd");
  return f(matrix_layout, jobz, uplo, n, a, lda, w);
}

lapack_int LAPACKE_ssyevd(int matrix_layout, char jobz, char uplo, lapack_int n, float *a,
                          lapack_int lda, float *w) {
  typedef lapack_int (*fn)(int, char, char, lapack_int, float *, lapack_int, float *);
  static fn f;
  if (f == NULL) f = (fn)symbol(&lapacke_handle, "LAPACKE_ssyevd");
  return f(matrix_layout, jobz, uplo, n, a, lda, w);
}
