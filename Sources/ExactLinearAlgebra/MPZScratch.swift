import CGMP

/// A few GMP integers for temporaries in hot loops: initialised once, cleared on deinit.
final class MPZScratch {
  let base: UnsafeMutablePointer<__mpz_struct>
  let count: Int

  init(_ count: Int) {
    self.count = count
    base = .allocate(capacity: max(count, 1))
    for k in 0..<count { __gmpz_init(base + k) }
  }

  deinit {
    for k in 0..<count { __gmpz_clear(base + k) }
    base.deallocate()
  }

  subscript(k: Int) -> UnsafeMutablePointer<__mpz_struct> { base + k }
}
