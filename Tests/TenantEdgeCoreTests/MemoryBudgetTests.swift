import Testing
@testable import TenantEdgeCore

@Suite struct MemoryBudgetTests {
    @Test func overAtTheLimitAndBackOnlyUnderNinetyPercent() {
        let budget = MemoryBudget(limitBytes: 100 << 20)
        #expect(budget.resumeBelowBytes == (100 << 20) - (100 << 20) / 10)
        #expect(!budget.isOver(residentBytes: (100 << 20) - 1, wasOver: false))
        #expect(budget.isOver(residentBytes: 100 << 20, wasOver: false))
        // Once over, still over between 90% and the limit: no flapping around the line.
        #expect(budget.isOver(residentBytes: 95 << 20, wasOver: true))
        #expect(budget.isOver(residentBytes: budget.resumeBelowBytes, wasOver: true))
        #expect(!budget.isOver(residentBytes: budget.resumeBelowBytes - 1, wasOver: true))
        #expect(!budget.isOver(residentBytes: 95 << 20, wasOver: false))
    }

    @Test func residentIsTheSecondFieldInPages() {
        let text = Array("6053 1234 567 89 0 2345 0\n".utf8)
        #expect(MemoryBudget.residentBytes(statm: text, pageSize: 4096) == 1234 * 4096)
        #expect(MemoryBudget.residentBytes(statm: Array("1 2 ".utf8), pageSize: 4096) == 8192)
    }

    @Test func anythingElseIsNotAReading() {
        for text in ["", "6053", "6053 ", "6053 12x4 1", "a b c", " 1 2 3", "6053 99999999999999999999 1"] {
            #expect(MemoryBudget.residentBytes(statm: Array(text.utf8), pageSize: 4096) == nil, "\(text)")
        }
    }
}
