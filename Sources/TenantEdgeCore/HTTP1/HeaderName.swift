/// What a header name is, classified once during parsing so rewriting needs no string compares.
///
/// Names are matched ignoring ASCII case (RFC 9110 section 5.1). The headers the proxy adds
/// for the backend (X-Tenant-Context, X-Store-*, X-Forwarded-*, X-Request-Id) also match
/// with '_' for '-': CGI-style backends (PHP, WSGI, Rack) fold both to `HTTP_X_TENANT_CONTEXT`,
/// so a client sending `X_Tenant_Context` could otherwise forge the proxy's statement
/// (DESIGN.md section 6).
public enum HeaderName: UInt8, Sendable, CaseIterable {
    case other, host, contentLength, transferEncoding, connection, keepAlive, proxyConnection,
        te, trailer, upgrade, expect, xForwardedFor, xForwardedProto, xForwardedHost,
        xForwardedPort, xRequestId, xTenantContext, xStoreId, xStoreSlug, forwarded,
        proxyAuthorization, proxyAuthenticate

    /// Bit of this name in a `connectionTokensMask`.
    @inline(__always)
    public var maskBit: UInt32 { 1 << UInt32(rawValue) }

    /// Classifies a field name (or a Connection token) given as raw bytes.
    public static func classify(_ name: UnsafeRawBufferPointer) -> HeaderName {
        classify(name, 0, name.count)
    }

    /// Classifies `buffer[start..<end]`: dispatch on length first, so most names cost one
    /// switch and at most four short compares that usually fail on the first byte.
    static func classify(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> HeaderName {
        @inline(__always) func eq(_ literal: StaticString) -> Bool {
            ByteClass.equalsFolded(buffer, start, end, literal)
        }
        @inline(__always) func eqX(_ literal: StaticString) -> Bool {
            ByteClass.equalsFolded(buffer, start, end, literal, underscoreAsDash: true)
        }
        switch end &- start {
        case 2: if eq("te") { return .te }
        case 4: if eq("host") { return .host }
        case 6: if eq("expect") { return .expect }
        case 7:
            if eq("upgrade") { return .upgrade }
            if eq("trailer") { return .trailer }
        case 9: if eq("forwarded") { return .forwarded }
        case 10:
            if eq("connection") { return .connection }
            if eq("keep-alive") { return .keepAlive }
            if eqX("x-store-id") { return .xStoreId }
        case 12:
            if eqX("x-request-id") { return .xRequestId }
            if eqX("x-store-slug") { return .xStoreSlug }
        case 14: if eq("content-length") { return .contentLength }
        case 15: if eqX("x-forwarded-for") { return .xForwardedFor }
        case 16:
            if eqX("x-tenant-context") { return .xTenantContext }
            if eqX("x-forwarded-host") { return .xForwardedHost }
            if eqX("x-forwarded-port") { return .xForwardedPort }
            if eq("proxy-connection") { return .proxyConnection }
        case 17:
            if eq("transfer-encoding") { return .transferEncoding }
            if eqX("x-forwarded-proto") { return .xForwardedProto }
        case 18: if eq("proxy-authenticate") { return .proxyAuthenticate }
        case 19: if eq("proxy-authorization") { return .proxyAuthorization }
        default: break
        }
        return .other
    }
}
