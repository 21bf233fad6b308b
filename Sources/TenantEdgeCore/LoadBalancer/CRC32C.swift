/// CRC-32C (Castagnoli, RFC 3720 appendix B.4), the checksum PROXY protocol v2's
/// PP2_TYPE_CRC32C carries. Table-driven: headers are short and checked once per connection,
/// so the hardware instruction would not be measurable.
enum CRC32C {
    private static let table: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        return crc
    }

    /// The checksum of `buffer[0..<count]` with the bytes in `zeroing` taken as zero (the
    /// checksum field itself, as the specification computes it).
    static func checksum(_ buffer: UnsafeRawBufferPointer, count: Int, zeroing: Range<Int> = 0..<0) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        table.withUnsafeBufferPointer { table in
            for index in 0..<count {
                let byte = zeroing.contains(index) ? 0 : buffer[index]
                crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
            }
        }
        return ~crc
    }
}
