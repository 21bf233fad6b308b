/// Takes structured values from fuzz bytes for targets whose input is not one byte string
/// (route rows). Running out of bytes yields zeros and empty strings, so every input decodes
/// to something and a small mutation changes a small part of it.
struct FuzzReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { offset >= bytes.count }

    mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func bool() -> Bool { byte() & 1 == 1 }

    /// A length-prefixed piece (at most `maxLength`), its bytes as they are.
    mutating func piece(maxLength: Int) -> [UInt8] {
        let length = min(Int(byte()) % (maxLength + 1), max(0, bytes.count - offset))
        defer { offset += length }
        return Array(bytes[offset..<(offset + length)])
    }
}
