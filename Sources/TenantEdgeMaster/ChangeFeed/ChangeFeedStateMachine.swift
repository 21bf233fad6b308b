/// The change feed's lifecycle (DESIGN.md section 4) as a value: the runner feeds it events
/// (what a database call returned, what arrived on the socket, the time) and performs the
/// actions it returns. No sockets, no clock, no randomness of its own beyond a seeded
/// generator, so tests drive every path (reconnect, backoff, probe failure, polling, safety
/// net) with a fake clock in microseconds, in the style of postgres-nio's
/// `ListenStateMachine`.
///
/// Times are monotonic nanoseconds from an arbitrary origin.
public struct ChangeFeedStateMachine: Sendable {
    public struct Timing: Sendable, Equatable {
        /// Notifications are collected this long after the first one, so a transaction that
        /// touches many rows is read in one batch rather than row by row.
        public var debounce: Int64 = 3_000_000
        /// A self-NOTIFY that has not come back by then means the connection cannot LISTEN.
        public var probeTimeout: Int64 = 2_000_000_000
        /// How often the log is read when notifications do not work.
        public var pollInterval: Int64 = 1_000_000_000
        /// How often max(seq) is compared with what was applied: a LISTEN connection can die
        /// without the socket noticing (NAT timeout, failover).
        public var safetyInterval: Int64 = 30_000_000_000
        public var backoffInitial: Int64 = 100_000_000
        public var backoffMaximum: Int64 = 30_000_000_000

        public init() {}
    }

    public enum State: Sendable, Equatable {
        /// Waiting to reconnect.
        case backoff(until: Int64)
        case connecting
        /// Connected; LISTEN and the probe come next.
        case connected
        /// LISTEN and the probe are being sent.
        case subscribing
        /// The full REPEATABLE READ load is running.
        case loading
        /// Reading the log and re-reading what it names.
        case applying
        /// Comparing max(seq) with the applied sequence.
        case checking
        /// Waiting for notifications (or the next poll) on a synced connection.
        case listening
        case stopped
    }

    public enum Mode: Sendable, Equatable {
        /// Changes arrive as NOTIFY.
        case notify
        /// NOTIFY does not come back on this connection (a transaction-mode pooler): the log is
        /// read every `pollInterval` instead.
        case polling
    }

    public enum Action: Sendable, Equatable {
        case connect
        /// LISTEN, then send the self-NOTIFY probe.
        case subscribe
        /// Full load and max(seq) in one REPEATABLE READ transaction, then publish.
        case loadFull
        /// Read the log after the applied sequence, apply, publish.
        case fetchChanges
        case checkMaxSequence
        /// Say loudly that notifications do not arrive, and why that usually is.
        case reportProbeFailure
        /// Wait for the socket, a wake-up or `until` (nil: no deadline).
        case wait(until: Int64?)
        case stop
    }

    public enum Event: Sendable, Equatable {
        case connected
        case subscribed
        case loaded
        /// `more`: the read hit its row limit; read again at once.
        case changesApplied(more: Bool)
        /// `changes`: notifications naming a sequence not applied yet; `probeEchoed`: our own
        /// probe came back.
        case notificationsReceived(changes: Int, probeEchoed: Bool)
        case maxSequenceChecked(behind: Bool)
        /// The log no longer reaches back to the applied sequence (pruned, or the database was
        /// replaced): only a full load can be trusted.
        case fullLoadNeeded
        /// Connect or any statement failed: drop the connection and back off.
        case failed
        /// SIGHUP: a full resync.
        case resyncRequested
        case stopRequested
    }

    public private(set) var state: State = .backoff(until: 0)
    public private(set) var mode: Mode = .notify
    /// Consecutive failures, for the backoff.
    public private(set) var failures = 0
    public private(set) var needsFullLoad = true
    /// Caught up with the database since the last connect.
    public private(set) var synced = false
    private var probeDeadline: Int64?
    /// Time allowed after a load or batch to read a probe answer that arrived during it.
    private let probeGrace: Int64 = 50_000_000
    private var changesPendingSince: Int64?
    private var fetchMore = false
    private var nextPoll: Int64 = 0
    private var nextSafetyCheck: Int64 = .max
    private let timing: Timing
    private var random: SplitMix64

    public init(timing: Timing = Timing(), seed: UInt64 = 0x5EED) {
        self.timing = timing
        random = SplitMix64(seed: seed)
    }

    /// What to do now. Call after every event (and after every wait), with the current time.
    public mutating func nextAction(now: Int64) -> Action {
        switch state {
        case .stopped:
            return .stop
        case .backoff(let until):
            guard now >= until else { return .wait(until: until) }
            state = .connecting
            return .connect
        case .connected:
            state = .subscribing
            return .subscribe
        case .connecting, .subscribing, .loading, .applying, .checking:
            // An action is in flight; its result event comes first. Asking again repeats nothing.
            return .wait(until: now)
        case .listening:
            return listeningAction(now: now)
        }
    }

    private mutating func listeningAction(now: Int64) -> Action {
        if needsFullLoad {
            state = .loading
            return .loadFull
        }
        if !synced || fetchMore {
            state = .applying
            return .fetchChanges
        }
        if let deadline = probeDeadline, now >= deadline {
            probeDeadline = nil
            mode = .polling
            nextPoll = now
            return .reportProbeFailure
        }
        if mode == .polling, now >= nextPoll {
            nextPoll = now + timing.pollInterval
            state = .applying
            return .fetchChanges
        }
        if let since = changesPendingSince, now >= since + timing.debounce {
            state = .applying
            return .fetchChanges
        }
        if now >= nextSafetyCheck {
            nextSafetyCheck = now + timing.safetyInterval
            state = .checking
            return .checkMaxSequence
        }
        var deadline = nextSafetyCheck
        if let probeDeadline { deadline = min(deadline, probeDeadline) }
        if mode == .polling { deadline = min(deadline, nextPoll) }
        if let since = changesPendingSince { deadline = min(deadline, since + timing.debounce) }
        return .wait(until: deadline == .max ? nil : deadline)
    }

    public mutating func receive(_ event: Event, now: Int64) {
        if state == .stopped { return }
        switch event {
        case .connected:
            state = .connected
            return
        case .subscribed:
            // Every new session is probed again: the path to the server may have changed.
            probeDeadline = now + timing.probeTimeout
            nextSafetyCheck = now + timing.safetyInterval
            // Not synced: the first action on a new session is the full load or the catch-up.
            synced = false
            state = .listening
        case .loaded:
            needsFullLoad = false
            finishSync(now: now)
        case .changesApplied(let more):
            finishSync(now: now)
            fetchMore = more
        case .notificationsReceived(let changes, let probeEchoed):
            if probeEchoed {
                probeDeadline = nil
                mode = .notify
            }
            if changes > 0, changesPendingSince == nil { changesPendingSince = now }
        case .maxSequenceChecked(let behind):
            state = .listening
            if behind, changesPendingSince == nil { changesPendingSince = now }
        case .fullLoadNeeded:
            needsFullLoad = true
            if case .backoff = state { return }
            state = .listening
        case .failed:
            failures += 1
            synced = false
            probeDeadline = nil
            fetchMore = false
            state = .backoff(until: now + backoffDelay())
        case .resyncRequested:
            needsFullLoad = true
            // An operator asking for a resync also means "try the database now".
            if case .backoff = state { state = .backoff(until: now) }
        case .stopRequested:
            state = .stopped
        }
    }

    private mutating func finishSync(now: Int64) {
        // The probe's answer may sit unread behind a long load: give the next wait a moment to
        // read it before declaring NOTIFY broken.
        if let deadline = probeDeadline { probeDeadline = max(deadline, now + probeGrace) }
        failures = 0
        synced = true
        changesPendingSince = nil
        fetchMore = false
        state = .listening
    }

    /// Exponential from `backoffInitial`, capped at `backoffMaximum`, with "equal jitter"
    /// (half fixed, half random) so a fleet of proxies does not reconnect in step after a
    /// database restart, while each still waits at least half the nominal delay.
    private mutating func backoffDelay() -> Int64 {
        let exponent = min(failures - 1, 30)
        let nominal = min(timing.backoffMaximum, timing.backoffInitial << Int64(max(0, exponent)))
        let half = nominal / 2
        return half + Int64(random.next() % UInt64(max(1, half + 1)))
    }
}
