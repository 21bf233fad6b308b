import Foundation
import Logging
import TenantEdgeCore

/// Starts the workers and lets the caller stop them.
///
/// Every worker binds its own listening sockets (`SO_REUSEPORT`) before any thread
/// starts, so a port that cannot be bound is an error at start, not a dead worker.
public final class EdgeServer: Sendable {
    public let routes: RouteTableStore
    public let certificates: CertificatePublisher
    /// A reload publishes new settings here; each worker applies them between events.
    public let settingsPublisher: SnapshotPublisher<ServerSettings>
    public let control: ServerControl
    /// HTTP-01 answers the ACME issuer publishes for the workers to serve.
    public let challenges = ACMEChallengeResponses()
    /// One per worker, read by the metrics endpoint.
    public let counters: [WorkerCounters]
    public let latency: [LatencyHistogram]
    private let settings: ServerSettings
    private let logger: Logger
    private let finished: DispatchSemaphore
    private let workerCount: Int

    public init(
        settings: ServerSettings, routes: RouteTableStore, certificates: CertificatePublisher, logger: Logger
    ) throws(SocketError) {
        self.settings = settings
        self.routes = routes
        self.certificates = certificates
        self.settingsPublisher = SnapshotPublisher(settings)
        self.logger = logger
        self.workerCount = max(1, settings.workers)
        self.control = try ServerControl(workers: workerCount, maxConnections: settings.maxConnections,
                                         maxMemoryBytes: settings.maxMemoryBytes)
        self.counters = (0..<max(1, settings.workers)).map { _ in WorkerCounters() }
        self.latency = (0..<max(1, settings.workers)).map { _ in LatencyHistogram() }
        self.finished = DispatchSemaphore(value: 0)
    }

    /// Binds every worker's listeners and starts the worker threads.
    public func start() throws(SocketError) {
        var workers: [Worker] = []
        for id in 0..<workerCount {
            workers.append(try Worker(
                id: id, settings: settingsPublisher, routes: routes, certificates: certificates,
                counters: counters[id], latency: latency[id], control: control, logger: logger,
                challenges: challenges))
        }
        for worker in workers {
            // Ownership of the worker moves to its thread; this thread never touches it again.
            let handoff = WorkerHandoff(worker)
            let finished = self.finished
            let thread = Thread {
                handoff.worker.run()
                finished.signal()
            }
            thread.name = "tenant-edge-worker-\(worker.id)"
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    /// Blocks until every worker has exited (after `control.stop`).
    public func waitUntilStopped() {
        for _ in 0..<workerCount { finished.wait() }
    }
}

/// Moves a worker to the thread that runs it. Unchecked because `Worker` is
/// deliberately not `Sendable`: after the handoff exactly one thread uses it.
private final class WorkerHandoff: @unchecked Sendable {
    let worker: Worker
    init(_ worker: Worker) { self.worker = worker }
}
