import Foundation
import Glibc
import Logging
import Synchronization
import TenantEdgeMaster

/// Serves the TLS-ALPN-01 challenges every instance's orders publish in the certificates table
/// (`challenge_token`), on its own thread and database connection.
///
/// Why not the issuance thread: the CA may validate on any instance within a second of the
/// token appearing, and an instance's issuance thread may be busy with an order of its own for
/// far longer. This thread only waits for the table's NOTIFY, reads one column and builds (or
/// drops) a small certificate, so it answers in milliseconds. After a reconnect it reads every
/// pending token again (a NOTIFY may have been missed meanwhile).
final class ChallengeWatcher: Sendable {
    private let connectionString: String
    /// Serves (nil: withdraws) a token's certificate; false when it could not (yet), so the
    /// token is tried again at the next notification or reconnect.
    private let apply: @Sendable (_ hostname: String, _ token: String?) -> Bool
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)

    init(connectionString: String, logger: Logger, apply: @escaping @Sendable (String, String?) -> Bool) {
        self.connectionString = connectionString
        self.logger = logger
        self.apply = apply
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "tenant-edge-acme-challenges"
        thread.start()
    }

    func stop() { stopping.store(true, ordering: .relaxed) }

    private func run() {
        // `wanted`: the table's tokens; `served`: those applied. They differ only briefly, or
        // while a token cannot be served yet (the account's thumbprint is not known in the
        // first moments after start), which is retried every half second.
        var wanted: [String: String] = [:]
        var served: [String: String] = [:]
        func reconcile() {
            guard wanted != served else { return }
            for host in Set(wanted.keys).union(served.keys) where wanted[host] != served[host] {
                if apply(host, wanted[host]) { served[host] = wanted[host] }
            }
        }
        while !stopping.load(ordering: .relaxed) {
            do {
                let connection = try PostgresConnection.connect(connectionString)
                try connection.execute("LISTEN \(CertificateRepository.channel)")
                let pending = try connection.query(
                    "SELECT hostname, challenge_token FROM tenant_edge_certificates WHERE challenge_token IS NOT NULL")
                wanted = [:]
                for row in pending.rows { if let host = row[0], let token = row[1] { wanted[host] = token } }
                reconcile()
                while !stopping.load(ordering: .relaxed) {
                    var descriptor = pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN), revents: 0)
                    _ = poll(&descriptor, 1, 500)
                    let names = Set(try connection.notifications().filter { $0.channel == CertificateRepository.channel }.map(\.payload))
                    for host in names {
                        wanted[host] = try connection.query(
                            "SELECT challenge_token FROM tenant_edge_certificates WHERE hostname = $1", params: [host]).rows.first?[0] ?? nil
                    }
                    reconcile()
                }
            } catch {
                logger.error("acme: challenge watcher lost the database; reconnecting", metadata: ["error": "\(error)"])
                Thread.sleep(forTimeInterval: 2)
            }
        }
    }
}
