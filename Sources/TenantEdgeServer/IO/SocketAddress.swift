import CLinux
import Glibc
import TenantEdgeCore

/// A resolved IPv4 or IPv6 address with port, kept as the raw `sockaddr` the kernel wants
/// so that connecting on the hot path needs no resolution or conversion.
public struct SocketAddress: Sendable, CustomStringConvertible {
    var storage: sockaddr_storage
    var length: socklen_t

    /// Resolves `host` (a literal or a name, resolved once at configuration time) and `port`.
    public static func resolve(host: String, port: Int) throws(SocketError) -> SocketAddress {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV | AI_PASSIVE
        var result: UnsafeMutablePointer<addrinfo>?
        let lookupHost = host.isEmpty ? nil : host
        let rc = getaddrinfo(lookupHost, String(port), &hints, &result)
        guard rc == 0, let first = result else {
            let message = rc == 0 ? "no address" : String(cString: gai_strerror(rc))
            throw SocketError(operation: "resolve \(host):\(port)", message: message)
        }
        defer { freeaddrinfo(result) }
        var address = SocketAddress(storage: sockaddr_storage(), length: first.pointee.ai_addrlen)
        withUnsafeMutableBytes(of: &address.storage) { dst in
            dst.copyMemory(from: UnsafeRawBufferPointer(start: first.pointee.ai_addr, count: Int(first.pointee.ai_addrlen)))
        }
        return address
    }

    var family: Int32 { Int32(storage.ss_family) }

    /// The address as the value type that trust checks and `X-Forwarded-For` use.
    var clientAddress: ClientAddress? {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                let offset = MemoryLayout<sockaddr_in6>.offset(of: \.sin6_addr)!
                return ClientAddress(networkBytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 16)]), port: UInt16(port))
            }
            let offset = MemoryLayout<sockaddr_in>.offset(of: \.sin_addr)!
            return ClientAddress(networkBytes: UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + 4)]), port: UInt16(port))
        }
    }

    /// The numeric host, as written into `X-Forwarded-For`.
    public var host: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        var copy = storage
        return withUnsafePointer(to: &copy) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                guard getnameinfo(sa, length, &buffer, socklen_t(buffer.count), nil, 0, NI_NUMERICHOST) == 0 else { return "?" }
                return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            }
        }
    }

    public var port: Int {
        withUnsafeBytes(of: storage) { raw in
            if family == AF_INET6 {
                return Int(UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in6>.offset(of: \.sin6_port)!, as: UInt16.self)))
            }
            return Int(UInt16(bigEndian: raw.load(fromByteOffset: MemoryLayout<sockaddr_in>.offset(of: \.sin_port)!, as: UInt16.self)))
        }
    }

    public var description: String {
        family == AF_INET6 ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        var copy = storage
        return withUnsafePointer(to: &copy) { ptr in
            ptr.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) }
        }
    }
}

/// An operating-system call that failed, with what was being done.
public struct SocketError: Error, CustomStringConvertible, Sendable {
    public var operation: String
    public var message: String
    public var errno: Int32 = 0

    init(operation: String, message: String, errno: Int32 = 0) {
        self.operation = operation
        self.message = message
        self.errno = errno
    }

    init(operation: String, errno code: Int32) {
        self.init(operation: operation, message: String(cString: strerror(code)), errno: code)
    }

    public var description: String { "\(operation): \(message)" }
}
