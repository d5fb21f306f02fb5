import ConvNet
import Exact
import Testing
@testable import Hessian

@Suite struct PaperFormulaTests {
  @Test func publishedTableRows() throws {
    #expect(try ranksModP(fc(8, [6, 6, 3]), samples: 100) == Ranks(outer: 24, functional: 63, loss: 78))
    #expect(try ranksModP(fc(8, [2, 6, 3]), samples: 100) == Ranks(outer: 18, functional: 32, loss: 42))
    #expect(try ranksModP(fc(10, [4, 4, 6]), samples: 5) == Ranks(outer: 28, functional: 56, loss: 60))
    #expect(try ranksModP(fc(8, [5, 4]), samples: 100) == Ranks(outer: 32, functional: 40, loss: 56))
  }

  @Test func cnnRows() throws {
    let a = conv1d(c0: 1, d: 12, [.conv(ConvLayer(outChannels: 2, kernel: [3])), .dense(DenseLayer(outputs: 2))])
    #expect(try ranksModP(a, samples: 100) == Ranks(outer: 24, functional: 12, loss: 35))
  }
}
