/// Failing a fuzz invariant: print what broke and trap, so libFuzzer saves the input as a
/// crash (the same as a real crash would) and `fuzz-replay` stops on it.
@inline(__always)
func require(_ condition: Bool, _ message: @autoclosure () -> String,
             file: StaticString = #fileID, line: UInt = #line) {
    if !condition {
        fatalError("fuzz invariant broken: \(message())", file: file, line: line)
    }
}

/// Readable form of fuzz bytes in failure messages.
func show(_ bytes: UnsafeRawBufferPointer, limit: Int = 200) -> String {
    var text = ""
    for byte in bytes.prefix(limit) {
        switch byte {
        case 0x0D: text += "\\r"
        case 0x0A: text += "\\n"
        case 0x5C: text += "\\\\"
        case 0x20...0x7E: text.unicodeScalars.append(Unicode.Scalar(byte))
        default:
            let hex = Array("0123456789abcdef")
            text += "\\x\(hex[Int(byte >> 4)])\(hex[Int(byte & 15)])"
        }
    }
    return bytes.count > limit ? text + "... (\(bytes.count) bytes)" : text
}

func show(_ bytes: [UInt8], limit: Int = 200) -> String {
    bytes.withUnsafeBytes { show($0, limit: limit) }
}
