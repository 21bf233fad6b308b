/// The little JSON writing the signer needs (objects of string and integer members), with
/// output fixed byte for byte: RFC 8259 escaping of `"`, `\` and control characters, all
/// other characters (including non-ASCII UTF-8) written as they are, no whitespace.
enum JSONText {
    static func appendObjectStart(_ out: inout [UInt8]) { out.append(UInt8(ascii: "{")) }
    static func appendObjectEnd(_ out: inout [UInt8]) { out.append(UInt8(ascii: "}")) }

    static func appendMember(_ name: StaticString, _ value: String, first: Bool = false, to out: inout [UInt8]) {
        appendName(name, first: first, to: &out)
        appendString(value, to: &out)
    }

    static func appendMember(_ name: StaticString, _ value: Int64, first: Bool = false, to out: inout [UInt8]) {
        appendName(name, first: first, to: &out)
        out.append(contentsOf: String(value).utf8)
    }

    private static func appendName(_ name: StaticString, first: Bool, to out: inout [UInt8]) {
        if !first { out.append(UInt8(ascii: ",")) }
        out.append(UInt8(ascii: "\""))
        name.withUTF8Buffer { out.append(contentsOf: $0) }
        out.append(UInt8(ascii: "\""))
        out.append(UInt8(ascii: ":"))
    }

    static func appendString(_ value: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0x00 ..< 0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]])
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
