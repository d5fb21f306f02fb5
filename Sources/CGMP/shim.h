#ifndef CGMP_SHIM_H
#define CGMP_SHIM_H
#include <gmp.h>
/* mpz_add etc. are #define aliases of __gmpz_add, which Swift imports;
   function-like macros are not imported at all, hence these inline wrappers. */
static inline int cgmp_mpz_sgn(mpz_srcptr z) { return mpz_sgn(z); }
static inline int cgmp_mpq_sgn(mpq_srcptr q) { return mpq_sgn(q); }
static inline int cgmp_mpz_odd_p(mpz_srcptr z) { return mpz_odd_p(z); }
static inline mpz_ptr cgmp_mpq_numref(mpq_ptr q) { return mpq_numref(q); }
static inline mpz_ptr cgmp_mpq_denref(mpq_ptr q) { return mpq_denref(q); }
static inline mpz_srcptr cgmp_mpq_numref_const(mpq_srcptr q) { return mpq_numref(q); }
static inline mpz_srcptr cgmp_mpq_denref_const(mpq_srcptr q) { return mpq_denref(q); }
static inline int cgmp_mpz_cmp_si(mpz_srcptr z, long v) { return mpz_cmp_si(z, v); }
static inline int cgmp_mpz_fits_slong_p(mpz_srcptr z) { return mpz_fits_slong_p(z); }
static inline size_t cgmp_mpz_size(mpz_srcptr z) { return mpz_size(z); }
#endif
