@testable import TenantEdgeCore

/// Runs `body` over the bytes of `text` as the raw buffer the parsers work on.
func withBytes<R>(_ bytes: [UInt8], _ body: (UnsafeRawBufferPointer) -> R) -> R {
    bytes.withUnsafeBytes(body)
}

extension Array where Element == UInt8 {
    init(ascii text: String) { self = Array(text.utf8) }

    /// The bytes in `range` as a String, for readable expectations.
    func text(_ range: Range<Int>?) -> String? {
        guard let range else { return nil }
        return String(decoding: self[range], as: UTF8.self)
    }
}

/// A request parsed in one go, with the bytes its offsets refer to.
struct ParsedRequest {
    var bytes: [UInt8]
    var result: HeadParseResult
    var parser: HTTPRequestParser
    var head: HTTPRequestHead { parser.head }

    func text(_ range: Range<Int>?) -> String? { bytes.text(range) }

    /// Value of the first field whose name matches, ignoring case.
    func value(_ name: String) -> String? {
        for field in parser.fields where String(decoding: bytes[field.nameRange], as: UTF8.self).lowercased() == name.lowercased() {
            return text(field.valueRange)
        }
        return nil
    }
}

func parseRequest(_ text: String, limits: HTTPLimits = .default) -> ParsedRequest {
    parseRequest(Array(text.utf8), limits: limits)
}

func parseRequest(_ bytes: [UInt8], limits: HTTPLimits = .default) -> ParsedRequest {
    var parser = HTTPRequestParser(limits: limits)
    let result = withBytes(bytes) { parser.parse($0) }
    return ParsedRequest(bytes: bytes, result: result, parser: parser)
}

/// A response parsed in one go, with the bytes its offsets refer to.
struct ParsedResponse {
    var bytes: [UInt8]
    var result: HeadParseResult
    var parser: HTTPResponseParser
    var head: HTTPResponseHead { parser.head }
}

func parseResponse(_ text: String, method: HTTPMethod = .get, limits: HTTPLimits = .default) -> ParsedResponse {
    let bytes = [UInt8](ascii: text)
    var parser = HTTPResponseParser(limits: limits)
    let result = withBytes(bytes) { parser.parse($0, requestMethod: method) }
    return ParsedResponse(bytes: bytes, result: result, parser: parser)
}
