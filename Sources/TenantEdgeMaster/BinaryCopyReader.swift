/// Reads the rows of a `COPY ... TO STDOUT (FORMAT binary)` stream, one CopyData message at a
/// time, as byte ranges of that message: the million-row start-up load decodes no text and
/// makes no `String` per value.
///
/// Why binary rather than text COPY: text needs backslash-escape decoding for any value that
/// holds a tab, newline or backslash (a bad hostname row can), binary is length-prefixed.
///
/// The format (PostgreSQL docs, "COPY", binary format): an 11-byte signature, a 32-bit flags
/// field, a 32-bit header-extension length and that many bytes; then per row a 16-bit field
/// count and per field a 32-bit length (-1 for NULL) and the value; then a 16-bit -1 trailer.
/// The server sends each row in its own message, the header in front of the first row.
/// All integers are big-endian.
struct BinaryCopyReader {
    enum Item: Equatable {
        /// Field `i` is `fields[i]`, a range of the message (nil for NULL).
        case row
        case end
    }

    enum Problem: Error, Equatable, CustomStringConvertible {
        case badSignature
        case truncated
        case fieldCount(expected: Int, got: Int)

        var description: String {
            switch self {
            case .badSignature: "the COPY stream does not start with PostgreSQL's binary signature"
            case .truncated: "a COPY row ends before its fields do"
            case .fieldCount(let expected, let got): "a COPY row has \(got) fields, expected \(expected)"
            }
        }
    }

    static let signature: [UInt8] = Array("PGCOPY\n".utf8) + [0xFF, 0x0D, 0x0A, 0x00]

    let columns: Int
    /// Ranges of the last row read, into the message it was read from; nil is SQL NULL.
    private(set) var fields: [Range<Int>?]
    private var headerRead = false

    init(columns: Int) {
        self.columns = columns
        fields = Array(repeating: nil, count: columns)
    }

    /// Reads the row (or the trailer) in `message`; `fields` then describes the row.
    mutating func read(_ message: UnsafeRawBufferPointer) throws(Problem) -> Item {
        var offset = 0
        if !headerRead {
            guard message.count >= 19, message.prefix(11).elementsEqual(Self.signature) else { throw .badSignature }
            let extensionLength = Int(Self.uint32(message, at: 15))
            offset = 19 + extensionLength
            guard offset <= message.count else { throw .truncated }
            headerRead = true
        }
        guard offset + 2 <= message.count else { throw .truncated }
        let count = Int(Int16(bitPattern: Self.uint16(message, at: offset)))
        offset += 2
        if count == -1 { return .end }
        guard count == columns else { throw .fieldCount(expected: columns, got: count) }
        for column in 0 ..< columns {
            guard offset + 4 <= message.count else { throw .truncated }
            let length = Int(Int32(bitPattern: Self.uint32(message, at: offset)))
            offset += 4
            if length < 0 {
                fields[column] = nil
                continue
            }
            guard length <= message.count - offset else { throw .truncated }
            fields[column] = offset ..< offset + length
            offset += length
        }
        return .row
    }

    private static func uint16(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt16 {
        UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    private static func uint32(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> UInt32 {
        UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
    }
}
