import Synchronization

/// Requests from other threads (SIGHUP resync, stop) to the feed thread, and the pipe that
/// wakes it to notice them at once.
final class ChangeFeedControl: Sendable {
    struct Requests {
        var resync = false
        var stop = false
    }

    let wake = WakePipe()
    private let requests = Mutex(Requests())

    func requestResync() {
        requests.withLock { $0.resync = true }
        wake.signal()
    }

    func requestStop() {
        requests.withLock { $0.stop = true }
        wake.signal()
    }

    func takeRequests() -> Requests {
        requests.withLock { requests in
            defer { requests = Requests() }
            return requests
        }
    }
}
