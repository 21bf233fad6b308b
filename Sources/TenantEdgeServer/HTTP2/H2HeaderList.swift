import CNGHTTP2

/// Header fields for one HTTP/2 response, stored in one byte array so that building them
/// costs one buffer, and handed to nghttp2 (which copies them) as `nghttp2_nv` values.
struct H2HeaderList {
    private var storage: [UInt8] = []
    private var entries: [(name: Range<Int>, value: Range<Int>)] = []

    mutating func reset() {
        storage.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
    }

    /// `lowercase`: HTTP/2 field names must be lowercase (RFC 9113 section 8.2.1);
    /// HTTP/1.1 backends send them in any case.
    mutating func add(_ name: UnsafeRawBufferPointer, _ value: UnsafeRawBufferPointer, lowercase: Bool = true) {
        let nameStart = storage.count
        for byte in name { storage.append(lowercase && byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte) }
        let valueStart = storage.count
        storage.append(contentsOf: value)
        entries.append((nameStart..<valueStart, valueStart..<storage.count))
    }

    mutating func add(_ name: String, _ value: String) {
        var name = name
        var value = value
        name.withUTF8 { n in value.withUTF8 { v in add(UnsafeRawBufferPointer(n), UnsafeRawBufferPointer(v)) } }
    }

    func withNameValues<R>(_ body: ([nghttp2_nv]) -> R) -> R {
        storage.withUnsafeBytes { raw in
            let base = UnsafeMutablePointer(mutating: raw.baseAddress?.assumingMemoryBound(to: UInt8.self))
            let list = entries.map { entry in
                nghttp2_nv(
                    name: base.map { $0 + entry.name.lowerBound }, value: base.map { $0 + entry.value.lowerBound },
                    namelen: entry.name.count, valuelen: entry.value.count, flags: UInt8(NGHTTP2_NV_FLAG_NONE.rawValue))
            }
            return body(list)
        }
    }
}
