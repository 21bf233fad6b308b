/// Builds the request head the backend receives from the head the client sent.
///
/// The client's bytes are copied through by byte range (no decoding into Strings, which
/// dominated the cost of the SwiftNIO prototype, DESIGN.md section 2); what must not
/// reach the backend is cut out by range, and the caller appends the headers the proxy
/// vouches for. What is cut (DESIGN.md section 6):
/// - anything a client could use to impersonate the proxy's statement about the tenant:
///   `X-Tenant-Context` always, `X-Store-Id` and `X-Store-Slug` on store hosts (the
///   platform's own pass-through hosts may use those two for their own purposes), in
///   every case and with `_` for `-` (some frameworks fold both to one name);
/// - `X-Forwarded-*`, `Forwarded` and `X-Request-Id`, which the proxy sets itself;
/// - hop-by-hop fields (RFC 9110 section 7.6.1) and every field the client's `Connection`
///   names, so that a client can never make the proxy drop a header it adds.
///
/// `Content-Length` and `Transfer-Encoding` are not copied but written again in one
/// canonical line from the framing the parser decided: valid but unusual spellings
/// (`Transfer-Encoding: ,chunked`, `CHUNKED`, `Content-Length: 5, 5`, two identical
/// lines, leading zeros) are read the same way by every backend only if it never sees
/// them. A backend that parsed them differently from us would frame the body
/// differently: request smuggling.
public enum UpstreamRequestWriter {
    /// Whether a field of this kind is removed before forwarding. From a trusted hop (a load
    /// balancer in `trusted_proxies`) `X-Forwarded-Proto` and `X-Request-Id` are kept:
    /// that hop terminated the client's connection and named the request first.
    /// `X-Forwarded-For` is always cut here; the proxy writes it again, appended to.
    public static func strips(_ name: HeaderName, storeHost: Bool, upgrade: Bool, trustedHop: Bool = false) -> Bool {
        switch name {
        case .xForwardedProto, .xRequestId:
            return !trustedHop
        case .xTenantContext, .xForwardedFor, .xForwardedHost, .xForwardedPort,
             .forwarded, .connection, .keepAlive, .proxyConnection, .te, .trailer,
             .proxyAuthorization, .proxyAuthenticate:
            return true
        case .xStoreId, .xStoreSlug:
            return storeHost
        case .upgrade:
            return !upgrade
        case .host:
            return false
        default:
            return false
        }
    }

    /// Writes the request line (origin-form target, HTTP/1.1) and the client's header
    /// lines that survive, into `out` (emptied first, capacity kept). The caller then
    /// appends its own header lines and calls `finish`.
    public static func begin(
        into out: inout [UInt8], head: HTTPRequestHead, fields: [HeaderField],
        buffer: UnsafeRawBufferPointer, storeHost: Bool, parser: borrowing HTTPRequestParser,
        trustedHop: Bool = false
    ) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[head.methodRange]))
        out.append(0x20)
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[head.originFormRange]))
        out.append(contentsOf: httpVersionLine)
        let hasConnectionField = fields.contains { $0.name == .connection }
        for index in fields.indices {
            let field = fields[index]
            if strips(field.name, storeHost: storeHost, upgrade: head.upgrade, trustedHop: trustedHop) { continue }
            // In absolute-form the target's authority is the host (RFC 9112 section 3.2.2):
            // the Host line is rewritten to match it below.
            if field.name == .host && head.isAbsoluteForm { continue }
            if field.name == .contentLength || field.name == .transferEncoding { continue }
            if hasConnectionField && field.name == .other && parser.isNominatedByConnection(index, in: buffer) { continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[Int(field.lineStart)..<Int(field.lineEnd)]))
        }
        appendFraming(head.framing, into: &out)
        if head.isAbsoluteForm, let authority = head.authorityRange {
            out.append(contentsOf: hostPrefix)
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[authority]))
            out.append(contentsOf: crlf)
        }
        if head.upgrade {
            out.append(contentsOf: connectionUpgrade)
        }
    }

    /// The one framing line the backend gets: the parser's decision, never the client's text.
    static func appendFraming(_ framing: BodyFraming, into out: inout [UInt8]) {
        switch framing {
        case .chunked:
            out.append(contentsOf: transferEncodingChunked)
        case .contentLength(let length):
            out.append(contentsOf: contentLengthPrefix)
            appendDecimal(length, into: &out)
            out.append(contentsOf: crlf)
        case .none, .untilClose:
            break
        }
    }

    /// Decimal digits without going through a String (the head is built per request).
    static func appendDecimal(_ value: UInt64, into out: inout [UInt8]) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor &*= 10 }
        var rest = value
        while divisor > 0 {
            out.append(UInt8(truncatingIfNeeded: rest / divisor) &+ 0x30)
            rest %= divisor
            divisor /= 10
        }
    }

    /// Appends one header line `name: value`.
    public static func appendHeader(_ name: [UInt8], _ value: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(contentsOf: name)
        out.append(contentsOf: value)
        out.append(contentsOf: crlf)
    }

    public static func finish(into out: inout [UInt8]) {
        out.append(contentsOf: crlf)
    }

    static let httpVersionLine: [UInt8] = Array(" HTTP/1.1\r\n".utf8)
    static let hostPrefix: [UInt8] = Array("Host: ".utf8)
    static let connectionUpgrade: [UInt8] = Array("Connection: upgrade\r\n".utf8)
    static let crlf: [UInt8] = [0x0D, 0x0A]
    static let transferEncodingChunked: [UInt8] = Array("Transfer-Encoding: chunked\r\n".utf8)
    static let contentLengthPrefix: [UInt8] = Array("Content-Length: ".utf8)
    public static let forwardedHostName: [UInt8] = Array("X-Forwarded-Host: ".utf8)
    public static let requestIdName: [UInt8] = Array("X-Request-Id: ".utf8)
}
