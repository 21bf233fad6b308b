import Testing
@testable import TenantEdgeMaster

@Suite struct ChangeLogCursorTests {
    @Test func gapsBecomeHolesThatAreReadAgainUntilTheyExpire() {
        var cursor = ChangeLogCursor(lastSequence: 10)
        do { let result = cursor.advance(seen: [11, 14], now: 0); #expect(result) }
        #expect(cursor.lastSequence == 14)
        #expect(cursor.recheck == [12, 13])
        // 12 commits late and is read; 13 was rolled back and expires.
        do { let result = cursor.advance(seen: [12], now: 1_000); #expect(result) }
        #expect(cursor.recheck == [13])
        do { let result = cursor.advance(seen: [], now: ChangeLogCursor.holeLifetime + 1); #expect(result) }
        #expect(cursor.recheck.isEmpty)
    }

    @Test func lateNotificationsAreNewsUnlessAlreadyApplied() {
        var cursor = ChangeLogCursor(lastSequence: 0)
        do { let result = cursor.advance(seen: [1, 2, 3], now: 0); #expect(result) }
        do { let result = cursor.noteNotified(2); #expect(!result) }
        do { let result = cursor.noteNotified(4); #expect(result) }
        // After a full load, numbers at or below its position may still be in flight.
        cursor.reset(to: 100)
        do { let result = cursor.noteNotified(99); #expect(result) }
        #expect(cursor.recheck == [99])
        do { let result = cursor.advance(seen: [], now: 0); #expect(result) }
        #expect(cursor.recheck.isEmpty)
    }

    @Test func tooManyHolesAskForAFullLoad() {
        var cursor = ChangeLogCursor(lastSequence: 0)
        do { let result = cursor.advance(seen: [Int64(ChangeLogCursor.maxHoles) + 100], now: 0); #expect(!result) }
    }

    @Test func batchReachesOnlyAnIntactLog() {
        var batch = ChangeBatch()
        batch.logMinimum = 5
        batch.logMaximum = 50
        #expect(batch.reaches(4))
        #expect(batch.reaches(40))
        #expect(!batch.reaches(2))    // 3 and 4 were pruned
        #expect(!batch.reaches(60))   // the log is behind us: another database
    }
}
