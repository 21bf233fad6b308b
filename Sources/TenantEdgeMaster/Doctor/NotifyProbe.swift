import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether NOTIFY comes back on a connection: LISTEN, notify ourselves, wait for it.
///
/// Behind a transaction-mode pooler (Supabase port 6543, PgBouncer `pool_mode=transaction`)
/// LISTEN runs on whichever server connection the pooler picked and is forgotten; nothing
/// comes back, without any error. Only trying tells.
public enum NotifyProbe {
    /// Milliseconds until the probe came back, or nil if it did not within `timeoutSeconds`.
    /// Leaves the session listening on nothing.
    public static func run(_ connection: PostgresConnection, channel: String = "tenant_edge_changes",
                           timeoutSeconds: Double = 2) throws(MasterDBError) -> Double? {
        let token = "probe:doctor:\(getpid()):\(UInt32.random(in: .min ... .max))"
        try connection.execute("LISTEN \(channel)")
        defer { try? connection.execute("UNLISTEN *") }
        let started = Date()
        _ = try connection.query("SELECT pg_notify($1, $2)", params: [channel, token])
        let ownProcess = connection.backendProcessID
        while true {
            for notification in try connection.notifications()
            where notification.payload == token && notification.senderProcessID == ownProcess {
                return Date().timeIntervalSince(started) * 1000
            }
            let remaining = timeoutSeconds - Date().timeIntervalSince(started)
            if remaining <= 0 { return nil }
            var descriptor = pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN), revents: 0)
            _ = poll(&descriptor, 1, Int32(remaining * 1000) + 1)
        }
    }
}
