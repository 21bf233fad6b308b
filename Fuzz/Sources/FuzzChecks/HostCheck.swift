import TenantEdgeCore

/// Host normalization on arbitrary bytes. Its output is the route table's key for requests and
/// database rows alike, so it must be a fixed point (normalize(normalize(x)) == normalize(x)),
/// well formed (lowercase letters, digits, '-', '_', dots between non-empty labels, within the
/// DNS lengths, or a bracketed IPv6 literal), blind to ASCII case and to a port, and the same
/// through the byte and the String entry points.
public enum HostCheck {
    public static func run(_ data: UnsafeRawBufferPointer) {
        var out: [UInt8] = []
        var isIPLiteral = false
        let error = HostNormalizer.normalize(data, into: &out, isIPLiteral: &isIPLiteral)

        // The String entry point (database rows, config) agrees for valid UTF-8 input.
        if let text = String(validating: data, as: UTF8.self) {
            switch HostNormalizer.normalize(text) {
            case .success(let normalized):
                require(error == nil && Array(normalized.host.utf8) == out && normalized.isIPLiteral == isIPLiteral,
                        "String entry point gives \(normalized), bytes give \(String(describing: error)) for \(show(data))")
            case .failure(let stringError):
                require(stringError == error, "String entry point fails with \(stringError), bytes with \(String(describing: error))")
            }
        }

        // Case-blind: ASCII upper case normalizes the same.
        let upper = data.map { $0 >= 0x61 && $0 <= 0x7A ? $0 - 0x20 : $0 }
        var upperOut: [UInt8] = []
        var upperIP = false
        let upperError = upper.withUnsafeBytes { HostNormalizer.normalize($0, into: &upperOut, isIPLiteral: &upperIP) }
        require(upperError == error && upperOut == (error == nil ? out : upperOut) && upperIP == isIPLiteral,
                "upper case normalizes differently: \(show(data))")

        guard error == nil else { return }
        checkShape(out, isIPLiteral: isIPLiteral, input: data)

        // A fixed point.
        var again: [UInt8] = []
        var againIP = false
        let againError = out.withUnsafeBytes { HostNormalizer.normalize($0, into: &again, isIPLiteral: &againIP) }
        require(againError == nil && again == out && againIP == isIPLiteral,
                "not idempotent: \(show(data)) -> \(show(out)) -> \(show(again)) \(String(describing: againError))")

        // A port never changes the host.
        let withPort = out + Array(":8080".utf8)
        var ported: [UInt8] = []
        var portedIP = false
        let portError = withPort.withUnsafeBytes { HostNormalizer.normalize($0, into: &ported, isIPLiteral: &portedIP) }
        require(portError == nil && ported == out && portedIP == isIPLiteral, "a port changes \(show(out))")
    }

    static func checkShape(_ out: [UInt8], isIPLiteral: Bool, input: UnsafeRawBufferPointer) {
        require(!out.isEmpty, "empty result for \(show(input))")
        if out.first == UInt8(ascii: "[") {
            require(isIPLiteral && out.last == UInt8(ascii: "]") && out.count <= 47, "malformed literal \(show(out))")
            for byte in out.dropFirst().dropLast() {
                require(Array("0123456789abcdef:.".utf8).contains(byte), "literal holds \(byte): \(show(out))")
            }
            return
        }
        require(out.count <= HostNormalizer.maxNameLength, "\(out.count) bytes: \(show(input))")
        var label = 0
        for byte in out {
            if byte == UInt8(ascii: ".") {
                require(label > 0, "empty label in \(show(out))")
                label = 0
                continue
            }
            let allowed = (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || byte == 0x2D || byte == 0x5F
            require(allowed, "byte \(byte) in \(show(out))")
            label += 1
            require(label <= HostNormalizer.maxLabelLength, "label over 63 bytes in \(show(out))")
        }
        require(label > 0, "trailing dot kept in \(show(out))")
    }
}
