/// A connection to one backend server, owned by one worker.
///
/// It serves one request at a time and returns to its pool only after a complete,
/// well-framed response (DESIGN.md section 5), so no two clients' bytes ever share it.
final class UpstreamConnection {
    let fd: Int32
    let serial: UInt32
    let server: UpstreamServer
    let input: IOBuffer
    var connected = false
    var readable = false
    /// The peer closed (or failed): reads must go on to EOF even after a short read.
    var hangup = false
    var writable = false
    /// True once it has carried a complete exchange: a failure on it before any response
    /// byte may be the backend closing an idle keep-alive connection, which is retryable.
    var reused = false
    var client: ClientConnection?
    /// Set instead of `client` when the exchange belongs to an HTTP/2 stream.
    var stream: H2Stream?
    var idleSince: Int64 = 0
    var closed = false

    /// After a read shorter than the space offered, the socket was drained: skip the read
    /// that would only return EAGAIN (edge-triggered epoll reports the next arrival anyway),
    /// unless the peer hung up, whose EOF must still be read.
    func noteRead(_ count: Int, offered: Int) {
        if count < offered && !hangup { readable = false }
    }

    init(fd: Int32, serial: UInt32, server: UpstreamServer, bufferSize: Int) {
        self.fd = fd
        self.serial = serial
        self.server = server
        self.input = IOBuffer(capacity: bufferSize)
    }
}
