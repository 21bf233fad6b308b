/// Appends JSON values to a byte buffer, for the access log, the event log and the admin
/// endpoints: digits and escapes written by hand so a log line costs no String or
/// formatter allocation on the request path.
public enum JSONOutput {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// A quoted string from raw bytes off the wire (host, request id). Every byte outside
    /// printable ASCII is written as `\u00XX`, so the line stays valid JSON whatever a client
    /// sent (invalid UTF-8 included) and cannot break into a second log line.
    public static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes { appendEscaped(byte, passNonASCII: false, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// A quoted string from a Swift String, which is valid UTF-8, so non-ASCII passes as is.
    public static func appendString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 { appendEscaped(byte, passNonASCII: true, to: &out) }
        out.append(UInt8(ascii: "\""))
    }

    /// `"key":`, for keys known to need no escaping.
    @inline(__always)
    public static func appendKey(_ key: StaticString, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: UnsafeRawBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    public static func appendRaw(_ text: StaticString, to out: inout [UInt8]) {
        out.append(contentsOf: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public static func appendInt(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 {
            out.append(UInt8(ascii: "-"))
            appendUInt(value.magnitude, to: &out)
        } else {
            appendUInt(UInt64(value), to: &out)
        }
    }

    public static func appendUInt(_ value: UInt64, to out: inout [UInt8]) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 20 digits at most, 24 bytes
        var count = 0
        var rest = value
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                buffer[count] = UInt8(truncatingIfNeeded: rest % 10) + 0x30
                rest /= 10
                count += 1
            } while rest > 0
            for index in stride(from: count - 1, through: 0, by: -1) { out.append(buffer[index]) }
        }
    }

    /// A non-negative duration in microseconds as milliseconds with three decimals (`12.345`).
    public static func appendMilliseconds(microseconds: Int64, to out: inout [UInt8]) {
        let value = max(0, microseconds)
        appendUInt(UInt64(value / 1000), to: &out)
        out.append(UInt8(ascii: "."))
        let fraction = value % 1000
        out.append(UInt8(truncatingIfNeeded: fraction / 100) + 0x30)
        out.append(UInt8(truncatingIfNeeded: (fraction / 10) % 10) + 0x30)
        out.append(UInt8(truncatingIfNeeded: fraction % 10) + 0x30)
    }

    @inline(__always)
    private static func appendEscaped(_ byte: UInt8, passNonASCII: Bool, to out: inout [UInt8]) {
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"):
            out.append(UInt8(ascii: "\\"))
            out.append(byte)
        case 0x0A:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "n"))
        case 0x0D:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "r"))
        case 0x09:
            out.append(UInt8(ascii: "\\"))
            out.append(UInt8(ascii: "t"))
        case 0x20..<0x7F:
            out.append(byte)
        case 0x80...0xFF where passNonASCII:
            out.append(byte)
        default:
            out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), 0x30, 0x30,
                                    hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
        }
    }
}
