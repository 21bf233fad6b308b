/// Reads the PROXY protocol header (v1 text or v2 binary) that a TCP load balancer sends
/// before the client's bytes, so the proxy knows the real client address
/// (https://www.haproxy.org/download/2.9/doc/proxy-protocol.txt).
///
/// In place over the read buffer and without allocation, like the HTTP parser: it returns how
/// many bytes the header took and the client address as a value. Not incremental state: after
/// `.incomplete` call again with the grown buffer; headers are at most a few hundred bytes, so
/// re-scanning costs less than keeping state per connection.
///
/// Strict where the specification says receivers must drop (unknown version, command, family)
/// because a listener that expects PROXY protocol must never mistake a client's own bytes for
/// a header: the address it carries is trusted for `X-Forwarded-For`.
public enum ProxyProtocolParser {
    /// v1: "PROXY UNKNOWN ffff:...:ffff ffff:...:ffff 65535 65535\r\n" is the longest line.
    public static let maximumV1Length = 107
    /// v2 headers may announce up to 64 KiB; real load balancers send under 300 bytes (AWS
    /// and GCP add one TLV). The bound keeps a header inside one read buffer.
    public static let maximumV2Length = 2048

    static let v1Prefix: StaticString = "PROXY "
    static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    /// Parses the header at the start of `buffer`.
    public static func parse(_ buffer: UnsafeRawBufferPointer) -> ProxyProtocolResult {
        guard let first = buffer.first else { return .incomplete }
        switch first {
        case UInt8(ascii: "P"): return parseV1(buffer)
        case 0x0D: return parseV2(buffer)
        default: return .invalid(.missingSignature)
        }
    }

    // MARK: - v1

    static func parseV1(_ buffer: UnsafeRawBufferPointer) -> ProxyProtocolResult {
        let prefix = UnsafeRawBufferPointer(start: v1Prefix.utf8Start, count: v1Prefix.utf8CodeUnitCount)
        for index in 0..<min(prefix.count, buffer.count) where buffer[index] != prefix[index] {
            return .invalid(.missingSignature)
        }
        // The CR may sit at most at index 105 so that CRLF ends within 107 bytes.
        let scanEnd = min(buffer.count, maximumV1Length - 1)
        var lineEnd = -1
        for index in 0..<scanEnd {
            let byte = buffer[index]
            if byte == 0x0D {
                lineEnd = index
                break
            }
            // Only printable ASCII belongs in the line; a stray LF or NUL means garbage.
            if byte < 0x20 || byte > 0x7E { return .invalid(.v1Malformed) }
        }
        if lineEnd < 0 {
            return buffer.count >= maximumV1Length - 1 ? .invalid(.v1TooLong) : .incomplete
        }
        guard lineEnd + 1 < buffer.count else { return .incomplete }
        guard buffer[lineEnd + 1] == 0x0A else { return .invalid(.v1Malformed) }
        let consumed = lineEnd + 2
        guard lineEnd > prefix.count else { return .invalid(.v1Malformed) }

        var fields = V1Fields(buffer: buffer, cursor: prefix.count, end: lineEnd)
        guard let proto = fields.next() else { return .invalid(.v1Malformed) }
        let family: ClientAddress.Family
        if equals(buffer, proto, "TCP4") {
            family = .ipv4
        } else if equals(buffer, proto, "TCP6") {
            family = .ipv6
        } else if equals(buffer, proto, "UNKNOWN") {
            // The specification: whatever follows UNKNOWN is to be ignored.
            return .complete(consumed: consumed, source: nil)
        } else {
            return .invalid(.v1UnknownProtocol)
        }
        guard let sourceText = fields.next(), let destinationText = fields.next(),
              let sourcePortText = fields.next(), let destinationPortText = fields.next(),
              fields.isAtEnd
        else { return .invalid(.v1Malformed) }
        guard let source = address(buffer, sourceText, family),
              address(buffer, destinationText, family) != nil
        else { return .invalid(.v1BadAddress) }
        guard let sourcePort = port(buffer, sourcePortText), port(buffer, destinationPortText) != nil else {
            return .invalid(.v1BadPort)
        }
        var client = source
        client.port = sourcePort
        return .complete(consumed: consumed, source: client)
    }

    /// Single-space separated fields of the v1 line; an empty field (two spaces) is malformed.
    private struct V1Fields {
        let buffer: UnsafeRawBufferPointer
        var cursor: Int
        let end: Int

        var isAtEnd: Bool { cursor > end }

        mutating func next() -> Range<Int>? {
            guard cursor <= end else { return nil }
            let start = cursor
            while cursor < end, buffer[cursor] != UInt8(ascii: " ") { cursor += 1 }
            let field = start..<cursor
            cursor += 1  // past the space, or past `end` after the last field
            return field.isEmpty ? nil : field
        }
    }

    private static func equals(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ literal: StaticString) -> Bool {
        guard range.count == literal.utf8CodeUnitCount else { return false }
        let bytes = UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for offset in 0..<range.count where buffer[range.lowerBound + offset] != bytes[offset] { return false }
        return true
    }

    private static func address(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>, _ family: ClientAddress.Family) -> ClientAddress? {
        switch family {
        case .ipv4:
            return IPAddressText.parseIPv4(buffer, range.lowerBound, range.upperBound).map { ClientAddress(ipv4: $0, port: 0) }
        case .ipv6:
            return IPAddressText.parseIPv6(buffer, range.lowerBound, range.upperBound).map {
                ClientAddress(family: .ipv6, high: $0.high, low: $0.low, port: 0)
            }
        }
    }

    private static func port(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt16? {
        guard range.count <= 5, range.count == 1 || buffer[range.lowerBound] != UInt8(ascii: "0") else { return nil }
        var value = 0
        for index in range {
            guard let digit = IPAddressText.decimal(buffer[index]) else { return nil }
            value = value * 10 + Int(digit)
        }
        return value <= 65535 ? UInt16(value) : nil
    }
}
