/// Turns a Host value (`Host` header, absolute-form authority, `:authority`, or a
/// `store_hostnames.hostname` row) into the one spelling the route table is keyed by.
///
/// Requests and database rows go through the same code (DESIGN.md section 5) so that a row
/// matches exactly the hosts a client can send for it. The byte-level entry point writes into
/// a caller-owned buffer so the per-request path allocates nothing once the buffer has grown.
public struct HostNormalizer: Sendable {
    /// RFC 1035 section 2.3.4 limits, counted without the trailing dot.
    public static let maxNameLength = 253
    public static let maxLabelLength = 63

    private init() {}

    /// Normalizes `hostname[:port]` into `out`: lowercase ASCII, port dropped, one trailing dot
    /// dropped. `out` is emptied first (keeping its capacity). Returns nil on success.
    ///
    /// `isIPLiteral` is set for `[v6]` literals and for names whose last label is a number
    /// (`10.0.0.1`, but also `127.1` or `0x7f.1`): browsers parse those as IPv4 (WHATWG URL
    /// "ends in a number"), no top-level domain is numeric, so they can never name a store.
    public static func normalize(
        _ raw: UnsafeRawBufferPointer, into out: inout [UInt8], isIPLiteral: inout Bool
    ) -> HostError? {
        out.removeAll(keepingCapacity: true)
        isIPLiteral = false
        let count = raw.count
        if count == 0 { return .empty }
        if raw[0] == UInt8(ascii: "[") { return normalizeBracketed(raw, into: &out, isIPLiteral: &isIPLiteral) }

        var index = 0
        var labelLength = 0
        var labelStart = 0  // offset in `out` of the current label, for the numeric check
        while index < count {
            let byte = raw[index]
            if byte == UInt8(ascii: ":") { break }
            index += 1
            if byte == UInt8(ascii: ".") {
                if labelLength == 0 { return .emptyLabel }
                labelLength = 0
                out.append(byte)
                labelStart = out.count
                continue
            }
            guard let lowered = hostByte(byte) else {
                return byte >= 0x80 ? .nonASCII : .invalidCharacter
            }
            labelLength += 1
            if labelLength > maxLabelLength { return .labelTooLong }
            // +1 tolerates the one trailing dot that is removed below.
            if out.count >= maxNameLength + 1 { return .tooLong }
            out.append(lowered)
        }
        if index < count, let error = checkPort(raw, from: index + 1) { return error }

        if labelLength == 0 {
            // Either nothing at all (":80") or exactly one trailing dot ("a.b." - two dots
            // already failed as an empty label).
            if out.isEmpty { return .empty }
            out.removeLast()
            labelStart = lastLabelStart(out)
        }
        if out.count > maxNameLength { return .tooLong }
        isIPLiteral = endsInNumber(out, labelStart: labelStart)
        return nil
    }

    /// Convenience for database rows, configuration and tests: allocates the result.
    public static func normalize(_ raw: String) -> Result<NormalizedHostString, HostError> {
        var out: [UInt8] = []
        var isIPLiteral = false
        if let error = normalize(raw, into: &out, isIPLiteral: &isIPLiteral) { return .failure(error) }
        return .success(NormalizedHostString(host: String(decoding: out, as: UTF8.self), isIPLiteral: isIPLiteral))
    }

    /// Normalizes a `String` into a reused buffer: how the route table builder feeds a
    /// million rows through without a temporary array per row.
    public static func normalize(_ raw: String, into out: inout [UInt8], isIPLiteral: inout Bool) -> HostError? {
        if let result = raw.utf8.withContiguousStorageIfAvailable({ bytes in
            normalize(UnsafeRawBufferPointer(bytes), into: &out, isIPLiteral: &isIPLiteral)
        }) {
            return result
        }
        let copy = Array(raw.utf8)
        return copy.withUnsafeBytes { normalize($0, into: &out, isIPLiteral: &isIPLiteral) }
    }

    /// Lowercased byte for letters, digits, `-` and `_`; nil for anything else.
    /// `_` is kept because real service hostnames carry it even though RFC 952 forbids it.
    @inline(__always)
    static func hostByte(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "-"), UInt8(ascii: "_"):
            return byte
        case UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return byte | 0x20
        default:
            return nil
        }
    }

    /// `:port` after the host: digits only, at most 65535.
    private static func checkPort(_ raw: UnsafeRawBufferPointer, from start: Int) -> HostError? {
        if raw.count - start > 5 { return .badPort }
        var value = 0
        var index = start
        while index < raw.count {
            let byte = raw[index]
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return .badPort }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            index += 1
        }
        return value > 65535 ? .badPort : nil
    }

    /// `[v6]` or `[v6]:port`. Only the characters of RFC 3986 `IPv6address` are accepted
    /// (no zone ids, no IPvFuture): the literal is only ever compared, never connected to.
    private static func normalizeBracketed(
        _ raw: UnsafeRawBufferPointer, into out: inout [UInt8], isIPLiteral: inout Bool
    ) -> HostError? {
        out.append(UInt8(ascii: "["))
        var index = 1
        var sawColon = false
        while index < raw.count, raw[index] != UInt8(ascii: "]") {
            let byte = raw[index]
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "."):
                out.append(byte)
            case UInt8(ascii: "A")...UInt8(ascii: "F"):
                out.append(byte | 0x20)
            case UInt8(ascii: ":"):
                sawColon = true
                out.append(byte)
            default:
                return byte >= 0x80 ? .nonASCII : .invalidCharacter
            }
            index += 1
            if index > 46 { return .invalidCharacter }  // 45 is the longest textual IPv6 address
        }
        guard index < raw.count, sawColon else { return .invalidCharacter }
        out.append(UInt8(ascii: "]"))
        index += 1
        if index < raw.count {
            guard raw[index] == UInt8(ascii: ":") else { return .invalidCharacter }
            if let error = checkPort(raw, from: index + 1) { return error }
        }
        isIPLiteral = true
        return nil
    }

    private static func lastLabelStart(_ out: [UInt8]) -> Int {
        var index = out.count
        while index > 0, out[index - 1] != UInt8(ascii: ".") { index -= 1 }
        return index
    }

    /// WHATWG URL "ends in a number": the last label is all digits, or `0x` plus hex digits.
    private static func endsInNumber(_ out: [UInt8], labelStart: Int) -> Bool {
        let end = out.count
        guard labelStart < end else { return false }
        var index = labelStart
        var hex = false
        if end - labelStart >= 2, out[labelStart] == UInt8(ascii: "0"), out[labelStart + 1] == UInt8(ascii: "x") {
            hex = true
            index += 2
        }
        while index < end {
            let byte = out[index]
            let isDigit = byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
            let isHexLetter = byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f")
            if !(isDigit || (hex && isHexLetter)) { return false }
            index += 1
        }
        return true
    }
}
