import TenantEdgeCore

/// PROXY protocol v1/v2 on arbitrary bytes. The address it yields is trusted for
/// `X-Forwarded-For`, and the bytes after it are the client's request, so beyond "no crash":
/// - a header ends inside the buffer, and bytes after it never change the verdict;
/// - every shorter prefix of a header is `.incomplete` (never a different header), and a
///   connection can never be kept waiting past the largest header;
/// - the address survives a round trip: printed into a v1 line, and written as a v2 block,
///   it parses back to the same address and port.
public enum ProxyProtocolCheck {
    public static func run(_ data: UnsafeRawBufferPointer) {
        let result = ProxyProtocolParser.parse(data)
        switch result {
        case .incomplete:
            require(data.count < ProxyProtocolParser.maximumV2Length + 16,
                    "still incomplete after \(data.count) bytes")
        case .invalid:
            break
        case .complete(let consumed, let source):
            require(consumed > 0 && consumed <= data.count, "consumed \(consumed) of \(data.count)")
            checkPrefixes(data, consumed: consumed, expected: result)
            var longer = Array(data)
            longer += Array("GET / HTTP/1.1\r\n".utf8)
            let again = longer.withUnsafeBytes { ProxyProtocolParser.parse($0) }
            require(again == result, "bytes after the header change \(result) into \(again)")
            if let source { checkRoundTrip(source) }
        }
    }

    static func checkPrefixes(_ data: UnsafeRawBufferPointer, consumed: Int, expected: ProxyProtocolResult) {
        let exact = ProxyProtocolParser.parse(UnsafeRawBufferPointer(rebasing: data[0..<consumed]))
        require(exact == expected, "the header alone gives \(exact), with what follows \(expected)")
        // All prefixes would cost O(n^2) on 2 KiB headers: the edges and a spread between.
        var lengths: Set<Int> = [0, 1, consumed - 1, consumed / 2, 12, 13, 15, 16]
        var seed = UInt32(truncatingIfNeeded: consumed) | 1
        for _ in 0..<8 {
            seed = seed &* 1_103_515_245 &+ 12345
            lengths.insert(Int(seed >> 8) % consumed)
        }
        for length in lengths where length >= 0 && length < consumed {
            let prefix = ProxyProtocolParser.parse(UnsafeRawBufferPointer(rebasing: data[0..<length]))
            require(prefix == .incomplete, "prefix of \(length) of a \(consumed)-byte header gives \(prefix): \(show(data))")
        }
    }

    static func checkRoundTrip(_ source: ClientAddress) {
        let text = source.addressText
        let parsed = IPAddressText.parse(text)
        require(parsed?.high == source.high && parsed?.low == source.low, "address text \(text) parses to \(String(describing: parsed))")

        // v1: "PROXY TCP4|TCP6 src dst sport dport\r\n"; IPv4-mapped sources print as IPv6.
        let proto = text.contains(":") ? "TCP6" : "TCP4"
        let line = Array("PROXY \(proto) \(text) \(text) \(source.port) 443\r\n".utf8)
        let v1 = line.withUnsafeBytes { ProxyProtocolParser.parse($0) }
        guard case .complete(let v1Consumed, let v1Source?) = v1 else {
            require(false, "v1 line \(show(line)) gives \(v1)")
            return
        }
        require(v1Consumed == line.count && v1Source.high == source.high && v1Source.low == source.low
                && v1Source.port == source.port, "v1 line \(show(line)) gives \(v1Source), expected \(source)")

        // v2 PROXY over TCP with the family the address prints as.
        var header: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21]
        var block: [UInt8] = []
        if let v4 = source.ipv4, source.family == .ipv4 {
            header.append(0x11)
            for shift in [24, 16, 8, 0] { block.append(UInt8(truncatingIfNeeded: v4 >> UInt32(shift))) }
            block += block
        } else {
            header.append(0x21)
            for index in 0..<16 { block.append(source.byte(index)) }
            block += block
        }
        block += [UInt8(source.port >> 8), UInt8(source.port & 0xFF), 0x01, 0xBB]
        header += [UInt8(block.count >> 8), UInt8(block.count & 0xFF)]
        header += block
        let v2 = header.withUnsafeBytes { ProxyProtocolParser.parse($0) }
        guard case .complete(let v2Consumed, let v2Source?) = v2 else {
            require(false, "v2 header \(show(header)) gives \(v2)")
            return
        }
        require(v2Consumed == header.count && v2Source.high == source.high && v2Source.low == source.low
                && v2Source.port == source.port, "v2 header gives \(v2Source), expected \(source)")
    }
}
