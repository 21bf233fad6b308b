import Testing
@testable import TenantEdgeMaster

/// The feed's lifecycle driven with a fake clock: no sockets, no database.
@Suite struct ChangeFeedStateMachineTests {
    static let ms: Int64 = 1_000_000
    static let s: Int64 = 1_000_000_000

    /// A machine that has connected, subscribed and loaded at time 0.
    static func synced() -> ChangeFeedStateMachine {
        var machine = ChangeFeedStateMachine()
        do { let result = machine.nextAction(now: 0); #expect(result == .connect) }
        machine.receive(.connected, now: 0)
        do { let result = machine.nextAction(now: 0); #expect(result == .subscribe) }
        machine.receive(.subscribed, now: 0)
        do { let result = machine.nextAction(now: 0); #expect(result == .loadFull) }
        #expect(machine.state == .loading)
        machine.receive(.loaded, now: 0)
        return machine
    }

    @Test func startupIsConnectListenLoadThenWait() {
        var machine = Self.synced()
        #expect(machine.state == .listening)
        // Waits until the probe deadline (2 s), the earliest timer.
        do { let result = machine.nextAction(now: 1 * Self.ms); #expect(result == .wait(until: 2 * Self.s)) }
    }

    @Test func notificationsAreDebouncedIntoOneFetch() {
        var machine = Self.synced()
        machine.receive(.notificationsReceived(changes: 0, probeEchoed: true), now: 10 * Self.ms)
        machine.receive(.notificationsReceived(changes: 3, probeEchoed: false), now: 100 * Self.ms)
        do { let result = machine.nextAction(now: 101 * Self.ms); #expect(result == .wait(until: 103 * Self.ms)) }
        machine.receive(.notificationsReceived(changes: 5, probeEchoed: false), now: 102 * Self.ms)
        do { let result = machine.nextAction(now: 103 * Self.ms); #expect(result == .fetchChanges) }
        #expect(machine.state == .applying)
        machine.receive(.changesApplied(more: false), now: 104 * Self.ms)
        #expect(machine.state == .listening)
        // Probe confirmed, nothing pending: only the safety net remains.
        do { let result = machine.nextAction(now: 105 * Self.ms); #expect(result == .wait(until: 30 * Self.s)) }
    }

    @Test func aFullBatchIsFollowedByAnotherReadAtOnce() {
        var machine = Self.synced()
        machine.receive(.notificationsReceived(changes: 1, probeEchoed: true), now: 0)
        do { let result = machine.nextAction(now: 3 * Self.ms); #expect(result == .fetchChanges) }
        machine.receive(.changesApplied(more: true), now: 4 * Self.ms)
        do { let result = machine.nextAction(now: 4 * Self.ms); #expect(result == .fetchChanges) }
    }

    @Test func missingProbeSwitchesToPolling() {
        var machine = Self.synced()
        do { let result = machine.nextAction(now: 2 * Self.s); #expect(result == .reportProbeFailure) }
        #expect(machine.mode == .polling)
        do { let result = machine.nextAction(now: 2 * Self.s); #expect(result == .fetchChanges) }
        machine.receive(.changesApplied(more: false), now: 2 * Self.s + Self.ms)
        do { let result = machine.nextAction(now: 2 * Self.s + 2 * Self.ms); #expect(result == .wait(until: 3 * Self.s)) }
        do { let result = machine.nextAction(now: 3 * Self.s); #expect(result == .fetchChanges) }
        // A late echo (the path to the server changed) ends polling.
        machine.receive(.changesApplied(more: false), now: 3 * Self.s)
        machine.receive(.notificationsReceived(changes: 0, probeEchoed: true), now: 3 * Self.s)
        #expect(machine.mode == .notify)
    }

    @Test func safetyNetChecksMaxSequenceEveryThirtySeconds() {
        var machine = Self.synced()
        machine.receive(.notificationsReceived(changes: 0, probeEchoed: true), now: 0)
        do { let result = machine.nextAction(now: 30 * Self.s); #expect(result == .checkMaxSequence) }
        machine.receive(.maxSequenceChecked(behind: true), now: 30 * Self.s)
        do { let result = machine.nextAction(now: 30 * Self.s + 3 * Self.ms); #expect(result == .fetchChanges) }
        machine.receive(.changesApplied(more: false), now: 30 * Self.s + 4 * Self.ms)
        do { let result = machine.nextAction(now: 31 * Self.s); #expect(result == .wait(until: 60 * Self.s)) }
    }

    @Test func failureBacksOffExponentiallyWithJitterCappedNearThirtySeconds() {
        var machine = Self.synced()
        var now: Int64 = 0
        var delays: [Int64] = []
        for _ in 0 ..< 12 {
            machine.receive(.failed, now: now)
            guard case .backoff(let until) = machine.state else {
                Issue.record("expected backoff, got \(machine.state)")
                return
            }
            delays.append(until - now)
            do { let result = machine.nextAction(now: now); #expect(result == .wait(until: until)) }
            now = until
            do { let result = machine.nextAction(now: now); #expect(result == .connect) }
        }
        // Nominal 100 ms, 200 ms, 400 ms ...; each delay in [nominal/2, nominal].
        for (attempt, delay) in delays.enumerated() {
            let nominal = min(30 * Self.s, 100 * Self.ms << Int64(attempt))
            #expect(delay >= nominal / 2 && delay <= nominal, "attempt \(attempt): \(delay)")
        }
        #expect(delays.last! <= 30 * Self.s)
        #expect(delays.last! >= 15 * Self.s)
    }

    @Test func reconnectCatchesUpInsteadOfReloading() {
        var machine = Self.synced()
        machine.receive(.failed, now: 0)
        guard case .backoff(let until) = machine.state else { return }
        do { let result = machine.nextAction(now: until); #expect(result == .connect) }
        machine.receive(.connected, now: until)
        do { let result = machine.nextAction(now: until); #expect(result == .subscribe) }
        machine.receive(.subscribed, now: until)
        do { let result = machine.nextAction(now: until); #expect(result == .fetchChanges) }
        machine.receive(.changesApplied(more: false), now: until)
        #expect(machine.failures == 0)
        #expect(machine.synced)
    }

    @Test func prunedLogForcesAFullLoad() {
        var machine = Self.synced()
        machine.receive(.notificationsReceived(changes: 1, probeEchoed: true), now: 0)
        do { let result = machine.nextAction(now: 3 * Self.ms); #expect(result == .fetchChanges) }
        machine.receive(.fullLoadNeeded, now: 3 * Self.ms)
        do { let result = machine.nextAction(now: 3 * Self.ms); #expect(result == .loadFull) }
    }

    @Test func resyncRequestReloadsAndRetriesAtOnceWhenDown() {
        var machine = Self.synced()
        machine.receive(.resyncRequested, now: Self.s)
        do { let result = machine.nextAction(now: Self.s); #expect(result == .loadFull) }
        machine.receive(.failed, now: Self.s)
        machine.receive(.failed, now: Self.s)
        machine.receive(.failed, now: Self.s)
        machine.receive(.resyncRequested, now: Self.s + 1)
        do { let result = machine.nextAction(now: Self.s + 1); #expect(result == .connect) }
    }

    @Test func stopEndsEverything() {
        var machine = Self.synced()
        machine.receive(.stopRequested, now: 0)
        do { let result = machine.nextAction(now: 0); #expect(result == .stop) }
        machine.receive(.failed, now: 0)
        do { let result = machine.nextAction(now: 0); #expect(result == .stop) }
    }

    @Test func aProbeAnswerArrivingDuringALongLoadIsReadFirst() {
        var machine = ChangeFeedStateMachine()
        _ = machine.nextAction(now: 0)
        machine.receive(.connected, now: 0)
        _ = machine.nextAction(now: 0)
        machine.receive(.subscribed, now: 0)
        _ = machine.nextAction(now: 0)
        // The load took 10 s, far past the 2 s probe deadline.
        machine.receive(.loaded, now: 10 * Self.s)
        do { let result = machine.nextAction(now: 10 * Self.s); #expect(result == .wait(until: 10 * Self.s + 50 * Self.ms)) }
        machine.receive(.notificationsReceived(changes: 0, probeEchoed: true), now: 10 * Self.s + Self.ms)
        do { let result = machine.nextAction(now: 11 * Self.s); #expect(result == .wait(until: 30 * Self.s)) }
        #expect(machine.mode == .notify)
    }
}
