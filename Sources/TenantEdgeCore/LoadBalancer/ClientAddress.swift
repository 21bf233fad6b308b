/// A client's IP address and port as a fixed-size value: what PROXY protocol carries, what
/// `TrustedProxies` matches and what `X-Forwarded-For` and the access log print.
///
/// The address is always held in IPv6 form, IPv4 as `::ffff:a.b.c.d` (RFC 4291 section
/// 2.5.5.2), so one 128-bit compare serves both families and a peer that a dual-stack socket
/// reports as IPv4-mapped matches an IPv4 CIDR. `family` only decides how it is printed.
/// Two words instead of an array: no allocation, and CIDR matching is two masks.
public struct ClientAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Family: UInt8, Sendable, Hashable {
        case ipv4 = 4
        case ipv6 = 6
    }

    public var family: Family
    /// Bytes 0..<8 of the IPv6 form, big-endian (first byte in the top bits).
    public var high: UInt64
    /// Bytes 8..<16 of the IPv6 form, big-endian.
    public var low: UInt64
    /// Host byte order; 0 when unknown.
    public var port: UInt16

    public init(family: Family, high: UInt64, low: UInt64, port: UInt16) {
        self.family = family
        self.high = high
        self.low = low
        self.port = port
    }

    /// `ipv4` in host byte order (`0x0A000001` is 10.0.0.1).
    public init(ipv4: UInt32, port: UInt16) {
        self.init(family: .ipv4, high: 0, low: 0x0000_FFFF_0000_0000 | UInt64(ipv4), port: port)
    }

    /// From the 4 bytes of an IPv4 or the 16 bytes of an IPv6 address in network order, as
    /// they sit in a `sockaddr` or a PROXY v2 header; nil for any other count.
    public init?(networkBytes bytes: UnsafeRawBufferPointer, port: UInt16) {
        switch bytes.count {
        case 4:
            var value: UInt32 = 0
            for byte in bytes { value = value << 8 | UInt32(byte) }
            self.init(ipv4: value, port: port)
        case 16:
            var high: UInt64 = 0
            var low: UInt64 = 0
            for index in 0..<8 { high = high << 8 | UInt64(bytes[index]) }
            for index in 8..<16 { low = low << 8 | UInt64(bytes[index]) }
            self.init(family: .ipv6, high: high, low: low, port: port)
        default:
            return nil
        }
    }

    /// The IPv4 address in host byte order, when this is IPv4 or IPv4-mapped IPv6.
    public var ipv4: UInt32? {
        guard high == 0, low >> 32 == 0xFFFF else { return nil }
        return UInt32(truncatingIfNeeded: low)
    }

    /// Byte `index` (0..<16) of the IPv6 form.
    @inline(__always)
    public func byte(_ index: Int) -> UInt8 {
        let word = index < 8 ? high : low
        return UInt8(truncatingIfNeeded: word >> UInt64(56 - (index & 7) * 8))
    }

    /// Appends the address without port, as `X-Forwarded-For` and RFC 7239 expect it: dotted
    /// quad for IPv4, RFC 5952 text for IPv6 (lowercase, longest zero run as `::`, no
    /// brackets). Digits are written by hand so that no String is made per request.
    public func appendAddressText(to out: inout [UInt8]) {
        if family == .ipv4, let value = ipv4 {
            Self.appendIPv4(value, to: &out)
        } else {
            appendIPv6(to: &out)
        }
    }

    /// `10.0.0.1:443` or `[2001:db8::1]:443`.
    public var description: String {
        var bytes: [UInt8] = []
        if family == .ipv6 { bytes.append(UInt8(ascii: "[")) }
        appendAddressText(to: &bytes)
        if family == .ipv6 { bytes.append(UInt8(ascii: "]")) }
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: String(port).utf8)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The address alone, as `appendAddressText` writes it.
    public var addressText: String {
        var bytes: [UInt8] = []
        appendAddressText(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    static func appendIPv4(_ value: UInt32, to out: inout [UInt8]) {
        // Formatted on the stack and appended once: one append per digit cost a uniqueness
        // and capacity check each (this runs for every forwarded request).
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { text in
            var length = 0
            for shift in stride(from: 24, through: 0, by: -8) {
                let octet = UInt8(truncatingIfNeeded: value >> UInt32(shift))
                if octet >= 100 { text[length] = 0x30 + octet / 100; length += 1 }
                if octet >= 10 { text[length] = 0x30 + (octet / 10) % 10; length += 1 }
                text[length] = 0x30 + octet % 10
                length += 1
                if shift != 0 { text[length] = UInt8(ascii: "."); length += 1 }
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: text[..<length]))
        }
    }

    private func group(_ index: Int) -> UInt16 {
        UInt16(byte(index * 2)) << 8 | UInt16(byte(index * 2 + 1))
    }

    private func appendIPv6(to out: inout [UInt8]) {
        // RFC 5952 section 5: IPv4-mapped addresses keep the dotted quad.
        if let value = ipv4 {
            out.append(contentsOf: [0x3A, 0x3A, 0x66, 0x66, 0x66, 0x66, 0x3A])  // "::ffff:"
            Self.appendIPv4(value, to: &out)
            return
        }
        // RFC 5952 section 4.2: the longest run of two or more zero groups, the first on a tie.
        var bestStart = -1
        var bestLength = 1
        var runStart = -1
        for index in 0...8 {
            if index < 8, group(index) == 0 {
                if runStart < 0 { runStart = index }
            } else if runStart >= 0 {
                if index - runStart > bestLength {
                    bestStart = runStart
                    bestLength = index - runStart
                }
                runStart = -1
            }
        }
        var index = 0
        while index < 8 {
            if index == bestStart {
                out.append(UInt8(ascii: ":"))
                if index == 0 { out.append(UInt8(ascii: ":")) }
                index += bestLength
                if index == 8 { break }
                continue
            }
            appendHex(group(index), to: &out)
            if index < 7 { out.append(UInt8(ascii: ":")) }
            index += 1
        }
    }

    private func appendHex(_ value: UInt16, to out: inout [UInt8]) {
        var started = false
        for shift in stride(from: 12, through: 0, by: -4) {
            let digit = UInt8(truncatingIfNeeded: value >> UInt16(shift)) & 0xF
            if digit == 0, !started, shift != 0 { continue }
            started = true
            out.append(digit < 10 ? 0x30 + digit : 0x57 + digit)
        }
    }
}
