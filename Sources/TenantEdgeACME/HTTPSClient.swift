import COpenSSL
// Glibc's socket type enum (SOCK_STREAM) is imported through whichever module includes
// <sys/socket.h> first; with CResolv in this target a release (whole-module) build finds
// it only through CResolv.
import CResolv
import Foundation
import Glibc

/// A small blocking HTTP/1.1 client over OpenSSL, for the ACME control plane only.
///
/// One request per connection (`Connection: close`): ACME traffic is a handful of requests per
/// certificate, so pooling buys nothing, and a fresh connection never carries a stale state.
/// It runs on the issuance thread, never on a worker. The CA's certificate is verified against
/// the system trust store, or against `caFile` (a test CA such as pebble's, or a private ACME
/// server), with the hostname checked (SSL_set1_host).
///
/// Invariants: every SSL, SSL_CTX and socket made in `send` is freed before it returns.
public struct HTTPSClient: Sendable {
    public var caFile: String?
    public var timeoutSeconds: Int = 30
    public var userAgent = "tenant-edge-acme/1"

    public init(caFile: String? = nil) { self.caFile = caFile }

    public typealias Response = HTTPSResponse

    public func send(method: String, url: String, headers: [(String, String)] = [], body: [UInt8] = []) throws(ACMEError) -> Response {
        guard let parsed = URL(string: url), let scheme = parsed.scheme, let host = parsed.host,
              scheme == "https" || scheme == "http" else {
            throw ACMEError.transport("not an http(s) URL: \(url)")
        }
        let port = parsed.port ?? (scheme == "https" ? 443 : 80)
        var target = parsed.path.isEmpty ? "/" : parsed.path
        if let query = parsed.query { target += "?" + query }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host)\(parsed.port.map { ":\($0)" } ?? "")\r\n"
        head += "User-Agent: \(userAgent)\r\nConnection: close\r\nAccept-Encoding: identity\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if !body.isEmpty || method == "POST" { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let request = Array(head.utf8) + body

        let fd = try connect(host: host, port: port)
        defer { close(fd) }
        let raw: [UInt8]
        if scheme == "https" {
            raw = try exchangeTLS(fd: fd, host: host, request: request)
        } else {
            try writeAll(request) { Glibc.write(fd, $0, $1) }
            raw = try readAll { Glibc.read(fd, $0, $1) }
        }
        return try HTTPSResponse(parsing: raw)
    }

    private func connect(host: String, port: Int) throws(ACMEError) -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, String(port), &hints, &list)
        guard rc == 0, let first = list else {
            throw ACMEError.transport("cannot resolve \(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let info = entry {
            entry = info.pointee.ai_next
            let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, info.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            if Glibc.connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 { return fd }
            lastError = String(cString: strerror(errno))
            close(fd)
        }
        throw ACMEError.transport("cannot connect to \(host):\(port): \(lastError)")
    }

    private func exchangeTLS(fd: Int32, host: String, request: [UInt8]) throws(ACMEError) -> [UInt8] {
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw ACMEError.transport("cannot create TLS context") }
        defer { SSL_CTX_free(context) }
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                ERR_clear_error()
                throw ACMEError.transport("cannot read the CA file \(caFile)")
            }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
        guard let ssl = SSL_new(context) else { throw ACMEError.transport("cannot create TLS session") }
        defer { SSL_free(ssl) }
        SSL_set_fd(ssl, fd)
        SSL_set1_host(ssl, host)
        _ = host.withCString { SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, Int(TLSEXT_NAMETYPE_host_name), UnsafeMutableRawPointer(mutating: $0)) }
        ERR_clear_error()
        guard SSL_connect(ssl) == 1 else {
            let verify = SSL_get_verify_result(ssl)
            ERR_clear_error()
            let reason = verify != X509_V_OK ? String(cString: X509_verify_cert_error_string(verify)) : "handshake failed"
            throw ACMEError.transport("TLS to \(host): \(reason)")
        }
        try writeAll(request) { pointer, count in
            var written = 0
            return SSL_write_ex(ssl, pointer, count, &written) == 1 ? written : -1
        }
        return try readAll { pointer, count in
            var read = 0
            if SSL_read_ex(ssl, pointer, count, &read) == 1 { return read }
            let error = SSL_get_error(ssl, 0)
            ERR_clear_error()
            // A server that closes without close_notify ends the body the same way.
            return error == SSL_ERROR_ZERO_RETURN || error == SSL_ERROR_SYSCALL ? 0 : -1
        }
    }

    private func writeAll(_ bytes: [UInt8], _ write: (UnsafeRawPointer, Int) -> Int) throws(ACMEError) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write($0.baseAddress! + offset, bytes.count - offset) }
            guard n > 0 else { throw ACMEError.transport("write failed") }
            offset += n
        }
    }

    /// Reads to EOF, with a 4 MiB cap: a chain is a few KiB, a larger answer is not an ACME one.
    private func readAll(_ read: (UnsafeMutableRawPointer, Int) -> Int) throws(ACMEError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = chunk.withUnsafeMutableBytes { read($0.baseAddress!, $0.count) }
            if n == 0 { return result }
            guard n > 0 else { throw ACMEError.transport("read failed or timed out") }
            result += chunk[..<n]
            guard result.count < 4 << 20 else { throw ACMEError.transport("response too large") }
        }
    }
}
