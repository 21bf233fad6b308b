import CLinux
import Glibc

/// Thin wrappers over the socket system calls the data plane makes.
///
/// Everything here is non-blocking and returns errno-style outcomes instead of throwing,
/// because `EAGAIN` is the normal case on an edge-triggered loop, not an error.
enum Socket {
    enum IOResult {
        case bytes(Int)
        case wouldBlock
        case closed          // orderly EOF on read
        case failed(Int32)   // errno
    }

    /// A listening socket of its own for one worker; `SO_REUSEPORT` lets the kernel spread
    /// connections across the workers without a shared accept lock (DESIGN.md section 2).
    /// `reusePort: false` for sockets that must be the only one on their port (the admin
    /// listener): with SO_REUSEPORT the kernel would silently share a port between, say,
    /// the admin listener and a traffic listener given the same address by mistake.
    static func listen(_ address: SocketAddress, backlog: Int32 = 4096, reusePort: Bool = true) throws(SocketError) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError(operation: "socket", errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if reusePort { setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, socklen_t(MemoryLayout<Int32>.size)) }
        if address.family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = address.withSockaddr { bind(fd, $0, $1) }
        guard bound == 0 else {
            let e = errno
            close(fd)
            throw SocketError(operation: "bind \(address)", errno: e)
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let e = errno
            close(fd)
            throw SocketError(operation: "listen \(address)", errno: e)
        }
        return fd
    }

    /// Accepts one connection, already non-blocking, with Nagle off (responses are written
    /// whole; waiting for more would only add latency).
    static func accept(_ listener: Int32, peer: inout SocketAddress) -> Int32 {
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let fd = withUnsafeMutablePointer(to: &peer.storage) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                accept4(listener, $0, &length, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            }
        }
        if fd >= 0 {
            peer.length = length
            setNoDelay(fd)
        }
        return fd
    }

    /// Starts a non-blocking connect; completion is signalled by writability.
    static func connect(_ address: SocketAddress) -> (fd: Int32, error: Int32) {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return (-1, errno) }
        setNoDelay(fd)
        let rc = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        if rc == 0 || errno == EINPROGRESS { return (fd, 0) }
        let e = errno
        close(fd)
        return (-1, e)
    }

    static func pendingError(_ fd: Int32) -> Int32 {
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        return error
    }

    static func setNoDelay(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Writes up to two regions with one system call (a rewritten head and the body bytes
    /// that follow it in the peer's buffer).
    static func write(_ fd: Int32, _ first: UnsafeRawBufferPointer, _ second: UnsafeRawBufferPointer) -> IOResult {
        var vectors = (
            iovec(iov_base: UnsafeMutableRawPointer(mutating: first.baseAddress), iov_len: first.count),
            iovec(iov_base: UnsafeMutableRawPointer(mutating: second.baseAddress), iov_len: second.count)
        )
        let count: Int32 = second.isEmpty ? 1 : (first.isEmpty ? 1 : 2)
        while true {
            let n = withUnsafeMutablePointer(to: &vectors) { ptr in
                ptr.withMemoryRebound(to: iovec.self, capacity: 2) { iov in
                    first.isEmpty ? writev(fd, iov + 1, count) : writev(fd, iov, count)
                }
            }
            if n >= 0 { return .bytes(n) }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Looks at received bytes without taking them: a PROXY protocol header must be read
    /// exactly, leaving a TLS ClientHello that may follow it in the socket for OpenSSL.
    static func peek(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = recv(fd, buffer.baseAddress, buffer.count, Int32(MSG_PEEK))
            if n > 0 { return .bytes(n) }
            if n == 0 { return .closed }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { return .wouldBlock }
            return .failed(e)
        }
    }

    /// Makes a listening socket drop new connection attempts (a SYN without ACK) while
    /// handshakes already under way still complete into its accept queue: a classic BPF
    /// socket filter, which the kernel runs on every segment for the listener with the TCP
    /// header at offset 0 (byte 13 holds the flags).
    ///
    /// Why: closing one of several `SO_REUSEPORT` listeners resets the connections in its
    /// accept queue. A draining process first stops new ones from entering the queue, then
    /// accepts what is there, then closes: nothing is reset. A dropped SYN costs the client
    /// its retransmission (1 s), which by then reaches a listener that stays, such as the new
    /// process of a binary upgrade. Returns false if the kernel refused the filter.
    static func dropNewConnectionAttempts(_ fd: Int32) -> Bool {
        var code: [sock_filter] = [
            sock_filter(code: UInt16(BPF_LD | BPF_B | BPF_ABS), jt: 0, jf: 0, k: 13),
            sock_filter(code: UInt16(BPF_ALU | BPF_AND | BPF_K), jt: 0, jf: 0, k: 0x12),   // SYN | ACK
            sock_filter(code: UInt16(BPF_JMP | BPF_JEQ | BPF_K), jt: 0, jf: 1, k: 0x02),   // SYN alone
            sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0),                  // drop
            sock_filter(code: UInt16(BPF_RET | BPF_K), jt: 0, jf: 0, k: 0xFFFF_FFFF),        // keep
        ]
        return code.withUnsafeMutableBufferPointer { instructions in
            var program = sock_fprog(len: UInt16(instructions.count), filter: instructions.baseAddress)
            return setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, socklen_t(MemoryLayout<sock_fprog>.size)) == 0
        }
    }

    static func shutdownWrite(_ fd: Int32) {
        Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    static func close(_ fd: Int32) {
        _ = Glibc.close(fd)
    }
}
