/// One NOTIFY received on a LISTENing connection.
public struct PostgresNotification: Sendable, Equatable {
    public var channel: String
    /// For `tenant_edge_changes`, the change-log sequence number as text (never row data).
    public var payload: String
    /// The server process that sent it; equal to our own for a self-NOTIFY probe.
    public var senderProcessID: Int32

    public init(channel: String, payload: String, senderProcessID: Int32) {
        self.channel = channel
        self.payload = payload
        self.senderProcessID = senderProcessID
    }
}
