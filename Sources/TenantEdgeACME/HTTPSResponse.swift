import Foundation

/// One HTTP/1.1 response as `HTTPSClient` reads it: the whole connection's bytes up to EOF
/// (`Connection: close`), parsed here apart from any socket so every malformed shape is
/// testable. A CA's answer that does not parse is a transport error, never a crash: each index
/// is checked before use, chunk sizes included.
public struct HTTPSResponse: Sendable, Equatable {
    public var status: Int
    /// Lowercased names; repeated fields joined with ", " except `link`, kept one per entry.
    public var headers: [String: String]
    public var links: [String]
    public var body: [UInt8]

    public init(status: Int, headers: [String: String] = [:], links: [String] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.links = links
        self.body = body
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// Status line, header fields, then the body: chunked (RFC 9112 section 7.1) when
    /// Transfer-Encoding says so, else `Content-Length` bytes (more is cut, fewer is an error),
    /// else everything to EOF.
    public init(parsing raw: [UInt8]) throws(ACMEError) {
        guard let end = raw.firstRange(of: [13, 10, 13, 10]) else { throw ACMEError.transport("incomplete HTTP response") }
        let lines = String(decoding: raw[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ", maxSplits: 2)
        guard statusParts.count >= 2, statusParts[0].hasPrefix("HTTP/1."), statusParts[1].count == 3,
              let status = Int(statusParts[1]), (100...599).contains(status) else {
            throw ACMEError.transport("bad status line: \(lines[0].prefix(80))")
        }
        var headers: [String: String] = [:]
        var links: [String] = []
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else {
                throw ACMEError.transport("bad header line: \(line.prefix(80))")
            }
            let name = line[..<colon].lowercased()
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if name == "link" { links.append(value) }
            headers[name] = headers[name].map { "\($0), \(value)" } ?? value
        }
        var body = Array(raw[end.upperBound...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            body = try Self.dechunk(body)
        } else if let text = headers["content-length"] {
            guard let length = Int(text), length >= 0 else { throw ACMEError.transport("bad Content-Length: \(text.prefix(40))") }
            guard length <= body.count else { throw ACMEError.transport("body shorter than its Content-Length") }
            body = Array(body.prefix(length))
        }
        self.init(status: status, headers: headers, links: links, body: body)
    }

    /// The chunks' data, up to the last (zero-size) chunk; trailers are ignored.
    static func dechunk(_ bytes: [UInt8]) throws(ACMEError) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while true {
            guard index <= bytes.count, let lineEnd = bytes[index...].firstRange(of: [13, 10]) else {
                throw ACMEError.transport("bad chunked body")
            }
            let sizeText = String(decoding: bytes[index..<lineEnd.lowerBound], as: UTF8.self).split(separator: ";").first ?? ""
            let digits = sizeText.trimmingCharacters(in: .whitespaces)
            guard !digits.isEmpty, digits.count <= 8, digits.allSatisfy(\.isHexDigit), let size = Int(digits, radix: 16) else {
                throw ACMEError.transport("bad chunk size")
            }
            index = lineEnd.upperBound
            if size == 0 { return out }
            guard size <= bytes.count - index else { throw ACMEError.transport("truncated chunk") }
            out += bytes[index..<(index + size)]
            index += size
            guard bytes.count - index >= 2, bytes[index] == 13, bytes[index + 1] == 10 else {
                throw ACMEError.transport("chunk without its CRLF")
            }
            index += 2
        }
    }
}
