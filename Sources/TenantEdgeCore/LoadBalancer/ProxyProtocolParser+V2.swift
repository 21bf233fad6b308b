/// PROXY protocol v2: the binary header (specification section 2.2).
extension ProxyProtocolParser {
    /// The fixed part: 12-byte signature, version/command, family/transport, 2-byte length.
    static let v2FixedLength = 16

    private enum TLVType {
        static let crc32c: UInt8 = 0x03
        static let uniqueID: UInt8 = 0x05
        static let ssl: UInt8 = 0x20
    }

    static func parseV2(_ buffer: UnsafeRawBufferPointer) -> ProxyProtocolResult {
        for index in 0..<min(v2Signature.count, buffer.count) where buffer[index] != v2Signature[index] {
            return .invalid(.missingSignature)
        }
        // Check what has arrived, so garbage is refused before waiting for more of it.
        if buffer.count > 12 {
            let versionCommand = buffer[12]
            guard versionCommand >> 4 == 2 else { return .invalid(.v2BadVersion) }
            guard versionCommand & 0x0F <= 1 else { return .invalid(.v2BadCommand) }
        }
        if buffer.count > 13 {
            let familyTransport = buffer[13]
            guard familyTransport >> 4 <= 3, familyTransport & 0x0F <= 2 else { return .invalid(.v2BadFamily) }
        }
        guard buffer.count >= v2FixedLength else { return .incomplete }
        let length = Int(buffer[14]) << 8 | Int(buffer[15])
        let total = v2FixedLength + length
        guard total <= maximumV2Length else { return .invalid(.v2TooLong) }
        guard buffer.count >= total else { return .incomplete }

        // LOCAL: a health check by the balancer itself; the specification says to ignore the
        // address block, family included, and use the real endpoints.
        if buffer[12] & 0x0F == 0 { return .complete(consumed: total, source: nil) }

        let family = buffer[13] >> 4
        let transport = buffer[13] & 0x0F
        let addressLength: Int
        switch family {
        case 0x0:
            // UNSPEC: no address block to locate the TLVs by; the specification says to
            // ignore what follows and use the real endpoints.
            return .complete(consumed: total, source: nil)
        case 0x1: addressLength = 12
        case 0x2: addressLength = 36
        default: addressLength = 216  // AF_UNIX: two 108-byte paths
        }
        // A datagram transport cannot be what reached a TCP listener.
        guard transport == 0x1 || (family == 0x3 && transport != 0x2) else { return .invalid(.v2BadFamily) }
        guard length >= addressLength else { return .invalid(.v2AddressTooShort) }

        let block = v2FixedLength
        var source: ClientAddress?
        switch family {
        case 0x1:
            source = ClientAddress(networkBytes: UnsafeRawBufferPointer(rebasing: buffer[block..<block + 4]),
                                   port: bigEndian16(buffer, block + 8))
        case 0x2:
            source = ClientAddress(networkBytes: UnsafeRawBufferPointer(rebasing: buffer[block..<block + 16]),
                                   port: bigEndian16(buffer, block + 32))
        default:
            source = nil
        }
        if let error = validateTLVs(buffer, from: block + addressLength, to: total) {
            return .invalid(error)
        }
        return .complete(consumed: total, source: source)
    }

    /// Walks the TLVs after the address block: each must fit, the few we know must have a
    /// possible length, and a CRC32C must match. Everything else (ALPN, authority, NOOP,
    /// cloud vendors' 0xE0-0xEF) is skipped; the specification requires ignoring unknown types.
    static func validateTLVs(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int) -> ProxyProtocolError? {
        var cursor = start
        while cursor < end {
            guard end - cursor >= 3 else { return .v2BadTLV }
            let type = buffer[cursor]
            let length = Int(bigEndian16(buffer, cursor + 1))
            let value = cursor + 3
            guard value + length <= end else { return .v2BadTLV }
            switch type {
            case TLVType.crc32c:
                guard length == 4 else { return .v2BadTLV }
                let expected = UInt32(bigEndian16(buffer, value)) << 16 | UInt32(bigEndian16(buffer, value + 2))
                guard CRC32C.checksum(buffer, count: end, zeroing: value..<value + 4) == expected else {
                    return .v2ChecksumMismatch
                }
            case TLVType.uniqueID:
                guard length <= 128 else { return .v2BadTLV }
            case TLVType.ssl:
                // client (1 byte), verify (4 bytes), then sub-TLVs in the same format.
                guard length >= 5 else { return .v2BadTLV }
                if let error = validateSubTLVs(buffer, from: value + 5, to: value + length) { return error }
            default:
                break
            }
            cursor = value + length
        }
        return nil
    }

    private static func validateSubTLVs(_ buffer: UnsafeRawBufferPointer, from start: Int, to end: Int) -> ProxyProtocolError? {
        var cursor = start
        while cursor < end {
            guard end - cursor >= 3 else { return .v2BadTLV }
            let length = Int(bigEndian16(buffer, cursor + 1))
            guard cursor + 3 + length <= end else { return .v2BadTLV }
            cursor += 3 + length
        }
        return nil
    }

    @inline(__always)
    static func bigEndian16(_ buffer: UnsafeRawBufferPointer, _ offset: Int) -> UInt16 {
        UInt16(buffer[offset]) << 8 | UInt16(buffer[offset + 1])
    }
}
