import TenantEdgeCore

/// Encodes a `RouteTable`'s live rows as the snapshot JSON (`RouteMapData`'s format, keys in
/// the order `JSONEncoder`'s `.sortedKeys` writes them), byte by byte into one buffer.
///
/// Hostnames come out normalized (that is all the table keeps), which loads back to the
/// same routes; `is_primary` and `ssl_enabled` do not affect routing and are written with
/// the platform's defaults.
enum RouteSnapshotEncoder {
    static func encode(_ table: RouteTable) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(table.hostCount * 130 + table.storeCount * 120 + 64)
        out.append(contentsOf: #"{"hostnames":["#.utf8)
        var first = true
        table.forEachHostname { host, storeIndex, isCustom in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: #"{"hostname":"#.utf8)
            appendString(host, to: &out)
            out.append(contentsOf: #","is_custom_domain":"#.utf8)
            out.append(contentsOf: (isCustom ? "true" : "false").utf8)
            out.append(contentsOf: #","is_primary":true,"ssl_enabled":false,"store_id":"#.utf8)
            table.store(storeIndex).idBytes.withUnsafeBytes { appendString($0, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: #"],"sequence":"#.utf8)
        out.append(contentsOf: String(table.sequence).utf8)
        out.append(contentsOf: #","stores":["#.utf8)
        first = true
        table.forEachStore { _, entry in
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: #"{"id":"#.utf8)
            entry.idBytes.withUnsafeBytes { appendString($0, to: &out) }
            out.append(contentsOf: #","is_active":"#.utf8)
            out.append(contentsOf: (entry.isActive ? "true" : "false").utf8)
            out.append(contentsOf: #","slug":"#.utf8)
            entry.slugBytes.withUnsafeBytes { appendString($0, to: &out) }
            out.append(contentsOf: #","status":"#.utf8)
            Array(entry.status.utf8).withUnsafeBytes { appendString($0, to: &out) }
            out.append(UInt8(ascii: "}"))
        }
        out.append(contentsOf: "]}\n".utf8)
        return out
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }

    /// A JSON string (RFC 8259 section 7): quote, backslash and control bytes escaped; other
    /// bytes, UTF-8 included, copied as they are.
    private static func appendString(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0 ..< 0x20:
                out.append(contentsOf: #"\u00"#.utf8)
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
