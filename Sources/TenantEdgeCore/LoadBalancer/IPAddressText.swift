/// Parses IP address literals from bytes, for PROXY protocol v1 lines and `trusted_proxies`.
///
/// Our own parser rather than `inet_pton` because the core target has no C, and because the
/// PROXY line is parsed in place from the read buffer without making a String. Strict on
/// purpose: IPv4 parts with leading zeros (`010.0.0.1`) are refused, since some stacks read
/// them as octal and an address that means two things must not decide trust.
public enum IPAddressText {
    /// The IPv4 dotted quad in `buffer[start..<end]`, in host byte order.
    public static func parseIPv4(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> UInt32? {
        var value: UInt32 = 0
        var index = start
        for part in 0..<4 {
            if part > 0 {
                guard index < end, buffer[index] == UInt8(ascii: ".") else { return nil }
                index += 1
            }
            let digitsStart = index
            var octet: UInt32 = 0
            while index < end, index - digitsStart < 3, let digit = decimal(buffer[index]) {
                octet = octet * 10 + UInt32(digit)
                index += 1
            }
            let length = index - digitsStart
            guard length > 0, octet <= 255, length == 1 || buffer[digitsStart] != UInt8(ascii: "0") else { return nil }
            value = value << 8 | octet
        }
        return index == end ? value : nil
    }

    /// The IPv6 address in `buffer[start..<end]` (RFC 4291 section 2.2 text forms, including a
    /// trailing dotted quad), as the two big-endian words of `ClientAddress`. No zone index.
    public static func parseIPv6(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> (high: UInt64, low: UInt64)? {
        guard end - start >= 2, end - start <= 45 else { return nil }
        var groups: (UInt64, UInt64) = (0, 0)  // filled as 8 groups of 16 bits
        var count = 0
        var gapAt = -1
        var index = start
        if buffer[index] == UInt8(ascii: ":") {
            guard buffer[index + 1] == UInt8(ascii: ":") else { return nil }
            gapAt = 0
            index += 2
        }
        while index < end {
            guard count < 8 else { return nil }
            // A dotted quad may end the address in place of the last two groups.
            if count <= 6, hasDotBeforeColon(buffer, index, end) {
                guard let v4 = parseIPv4(buffer, index, end) else { return nil }
                set(&groups, count, UInt64(v4 >> 16))
                set(&groups, count + 1, UInt64(v4 & 0xFFFF))
                count += 2
                index = end
                break
            }
            var group: UInt64 = 0
            let digitsStart = index
            while index < end, index - digitsStart < 4, let digit = hex(buffer[index]) {
                group = group << 4 | UInt64(digit)
                index += 1
            }
            guard index > digitsStart else { return nil }
            set(&groups, count, group)
            count += 1
            if index == end { break }
            guard buffer[index] == UInt8(ascii: ":") else { return nil }
            index += 1
            if index < end, buffer[index] == UInt8(ascii: ":") {
                guard gapAt < 0 else { return nil }
                gapAt = count
                index += 1
            } else if index == end {
                return nil  // a single trailing ':'
            }
        }
        if gapAt >= 0 {
            guard count < 8 else { return nil }
            // Move the groups after the gap to the end.
            let tail = count - gapAt
            var moved: (UInt64, UInt64) = (0, 0)
            for position in 0..<gapAt { set(&moved, position, get(groups, position)) }
            for offset in 0..<tail { set(&moved, 8 - tail + offset, get(groups, gapAt + offset)) }
            groups = moved
        } else if count != 8 {
            return nil
        }
        return groups
    }

    /// Either family: IPv4 if the text has no ':'.
    public static func parse(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int, port: UInt16 = 0) -> ClientAddress? {
        var hasColon = false
        for index in start..<end where buffer[index] == UInt8(ascii: ":") {
            hasColon = true
            break
        }
        if hasColon {
            guard let words = parseIPv6(buffer, start, end) else { return nil }
            return ClientAddress(family: .ipv6, high: words.high, low: words.low, port: port)
        }
        guard let value = parseIPv4(buffer, start, end) else { return nil }
        return ClientAddress(ipv4: value, port: port)
    }

    /// Convenience for configuration and tests.
    public static func parse(_ text: String) -> ClientAddress? {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { parse($0, 0, $0.count) }
    }

    @inline(__always)
    static func decimal(_ byte: UInt8) -> UInt8? {
        byte >= 0x30 && byte <= 0x39 ? byte - 0x30 : nil
    }

    @inline(__always)
    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x37
        case 0x61...0x66: byte - 0x57
        default: nil
        }
    }

    private static func hasDotBeforeColon(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        var index = start
        while index < end, buffer[index] != UInt8(ascii: ":") {
            if buffer[index] == UInt8(ascii: ".") { return true }
            index += 1
        }
        return false
    }

    @inline(__always)
    private static func set(_ words: inout (UInt64, UInt64), _ group: Int, _ value: UInt64) {
        let shift = UInt64(48 - (group & 3) * 16)
        if group < 4 {
            words.0 = words.0 & ~(0xFFFF << shift) | value << shift
        } else {
            words.1 = words.1 & ~(0xFFFF << shift) | value << shift
        }
    }

    @inline(__always)
    private static func get(_ words: (UInt64, UInt64), _ group: Int) -> UInt64 {
        let shift = UInt64(48 - (group & 3) * 16)
        return ((group < 4 ? words.0 : words.1) >> shift) & 0xFFFF
    }
}
