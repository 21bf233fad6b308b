/// One access log record, written as one JSON object per line (DESIGN.md section 7):
/// `{"time","client","protocol","host","store_id","decision","status","bytes_in","bytes_out",
/// "upstream_ms","total_ms","request_id","worker"}`.
///
/// The text fields borrow bytes the worker already holds (the request buffer, the store's
/// `idBytes`), so building a line allocates nothing; they are valid only until `append`
/// returns. Absent values are `null`, not empty strings, so queries can tell them apart.
public struct AccessLogLine {
    /// The client's protocol, as nginx's `$server_protocol` names it.
    public enum Version: UInt8, Sendable {
        case http10, http11, http2

        public var name: StaticString {
            switch self {
            case .http10: "HTTP/1.0"
            case .http11: "HTTP/1.1"
            case .http2: "HTTP/2.0"
            }
        }
    }

    /// Wall-clock time the response completed, milliseconds since 1970.
    public var unixMilliseconds: Int64
    /// The client as X-Forwarded-For names it (PROXY protocol source, else the peer).
    public var client: ClientAddress?
    public var version: Version
    /// The request's host as routed (normalized); empty for none.
    public var host: UnsafeRawBufferPointer
    /// The store's id; empty when no store was involved.
    public var storeID: UnsafeRawBufferPointer
    public var outcome: RequestOutcome
    public var status: Int
    /// Bytes read from the client for this request (HTTP/1: head and body as sent; HTTP/2:
    /// the stream's DATA payload, since frames of many streams share the connection).
    public var bytesIn: UInt64
    /// Bytes written to the client for this response (HTTP/2: DATA payload).
    public var bytesOut: UInt64
    /// Request sent to response head received, microseconds; negative when not forwarded.
    public var upstreamMicroseconds: Int64
    /// Request head complete to last response byte written, microseconds.
    public var totalMicroseconds: Int64
    /// The X-Request-Id sent upstream; empty for none.
    public var requestID: UnsafeRawBufferPointer
    public var worker: Int

    public init(unixMilliseconds: Int64, client: ClientAddress?, version: Version = .http11, host: UnsafeRawBufferPointer,
                storeID: UnsafeRawBufferPointer, outcome: RequestOutcome, status: Int, bytesIn: UInt64,
                bytesOut: UInt64, upstreamMicroseconds: Int64, totalMicroseconds: Int64,
                requestID: UnsafeRawBufferPointer, worker: Int) {
        self.unixMilliseconds = unixMilliseconds
        self.client = client
        self.version = version
        self.host = host
        self.storeID = storeID
        self.outcome = outcome
        self.status = status
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.upstreamMicroseconds = upstreamMicroseconds
        self.totalMicroseconds = totalMicroseconds
        self.requestID = requestID
        self.worker = worker
    }

    /// Appends the line, newline included. Grows `out` only if its capacity is exceeded.
    public func append(to out: inout [UInt8]) {
        JSONOutput.appendRaw("{\"time\":\"", to: &out)
        RFC3339Time.append(unixMilliseconds: unixMilliseconds, to: &out)
        JSONOutput.appendRaw("\",\"client\":", to: &out)
        if let client {
            out.append(UInt8(ascii: "\""))
            client.appendAddressText(to: &out)
            out.append(UInt8(ascii: "\""))
        } else {
            JSONOutput.appendRaw("null", to: &out)
        }
        JSONOutput.appendRaw(",\"protocol\":\"", to: &out)
        JSONOutput.appendRaw(version.name, to: &out)
        JSONOutput.appendRaw("\",\"host\":", to: &out)
        Self.appendOptional(host, to: &out)
        JSONOutput.appendRaw(",\"store_id\":", to: &out)
        Self.appendOptional(storeID, to: &out)
        JSONOutput.appendRaw(",\"decision\":\"", to: &out)
        out.append(contentsOf: outcome.name.utf8)
        JSONOutput.appendRaw("\",\"status\":", to: &out)
        JSONOutput.appendInt(Int64(status), to: &out)
        JSONOutput.appendRaw(",\"bytes_in\":", to: &out)
        JSONOutput.appendUInt(bytesIn, to: &out)
        JSONOutput.appendRaw(",\"bytes_out\":", to: &out)
        JSONOutput.appendUInt(bytesOut, to: &out)
        JSONOutput.appendRaw(",\"upstream_ms\":", to: &out)
        if upstreamMicroseconds >= 0 {
            JSONOutput.appendMilliseconds(microseconds: upstreamMicroseconds, to: &out)
        } else {
            JSONOutput.appendRaw("null", to: &out)
        }
        JSONOutput.appendRaw(",\"total_ms\":", to: &out)
        JSONOutput.appendMilliseconds(microseconds: totalMicroseconds, to: &out)
        JSONOutput.appendRaw(",\"request_id\":", to: &out)
        Self.appendOptional(requestID, to: &out)
        JSONOutput.appendRaw(",\"worker\":", to: &out)
        JSONOutput.appendInt(Int64(worker), to: &out)
        JSONOutput.appendRaw("}\n", to: &out)
    }

    private static func appendOptional(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        if bytes.isEmpty {
            JSONOutput.appendRaw("null", to: &out)
        } else {
            JSONOutput.appendString(bytes, to: &out)
        }
    }
}
