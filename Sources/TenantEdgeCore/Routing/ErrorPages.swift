#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every error response the proxy sends, rendered once at config load as complete HTTP/1.1
/// responses (status line, headers, body), so answering an error on the request path is a
/// single write of a stored array: no formatting, no allocation.
///
/// Variants per kind: JSON or HTML body (DESIGN.md section 5: JSON for `/api/` paths or a
/// JSON `Accept`), and `Connection: keep-alive` or `Connection: close`. Bodies carry
/// `Cache-Control: no-store` because a CDN caching "store not found" would outlive the store's
/// creation; provisioning carries `Retry-After`.
public struct ErrorPages: Sendable {
    /// Index: kind.rawValue * 4 + json * 2 + close.
    private let responses: [[UInt8]]
    private let headLengths: [Int]
    public let retryAfterSeconds: Int

    /// `templatesDirectory` nil: built-in pages. A directory that does not exist, or a
    /// template in it that cannot be read or parsed, throws; a template file missing from an
    /// existing directory falls back to the built-in page, so operators can override one page.
    public init(templatesDirectory: String?, retryAfterSeconds: Int) throws(ErrorPagesError) {
        self.retryAfterSeconds = max(0, retryAfterSeconds)
        var templates: [String: ErrorPageTemplate] = [:]
        if let directory = templatesDirectory {
            guard Self.isDirectory(directory) else {
                throw ErrorPagesError(path: directory, message: "error page directory does not exist")
            }
            for name in Set(ErrorKind.allCases.map(\.templateName)) {
                let path = directory.hasSuffix("/") ? directory + name + ".html" : directory + "/" + name + ".html"
                guard let text = try Self.readFile(path) else { continue }
                do {
                    templates[name] = try ErrorPageTemplate(text: text)
                } catch {
                    throw ErrorPagesError(path: path, message: error.message)
                }
            }
        }
        var responses: [[UInt8]] = []
        var headLengths: [Int] = []
        for kind in ErrorKind.allCases {
            let template = templates[kind.templateName] ?? ErrorPageTemplate.builtIn(for: kind)
            let html = Array(template.render(kind, retryAfterSeconds: self.retryAfterSeconds).utf8)
            let json = Array(Self.jsonBody(kind).utf8)
            for (body, contentType) in [(html, "text/html; charset=utf-8"), (json, "application/json")] {
                for close in [false, true] {
                    let head = Self.head(kind, contentType: contentType, contentLength: body.count,
                                         close: close, retryAfter: self.retryAfterSeconds)
                    responses.append(head + body)
                    headLengths.append(head.count)
                }
            }
        }
        self.responses = responses
        self.headLengths = headLengths
    }

    /// The complete response. Returns a stored array: no allocation.
    public func response(_ kind: ErrorKind, json: Bool, close: Bool) -> [UInt8] {
        responses[Self.slot(kind, json: json, close: close)]
    }

    /// Bytes of the status line and headers: answer a HEAD request with only these.
    public func headLength(_ kind: ErrorKind, json: Bool, close: Bool) -> Int {
        headLengths[Self.slot(kind, json: json, close: close)]
    }

    /// JSON when the path is `/api`, `/api/...` or `/api?...`, or `Accept` mentions
    /// `application/json` (any case). Runs per error response: no allocation.
    public static func wantsJSON(path: UnsafeRawBufferPointer, accept: UnsafeRawBufferPointer?) -> Bool {
        if path.count >= 4, path[0] == UInt8(ascii: "/"), path[1] == UInt8(ascii: "a"),
           path[2] == UInt8(ascii: "p"), path[3] == UInt8(ascii: "i"),
           path.count == 4 || path[4] == UInt8(ascii: "/") || path[4] == UInt8(ascii: "?") {
            return true
        }
        guard let accept else { return false }
        return containsIgnoringCase(accept, "application/json")
    }

    /// `{"success":false,"code":"...","message":"..."}`: codes and messages are fixed ASCII
    /// without quotes or backslashes, so no escaping is needed.
    static func jsonBody(_ kind: ErrorKind) -> String {
        "{\"success\":false,\"code\":\"\(kind.code)\",\"message\":\"\(kind.message)\"}"
    }

    private static func slot(_ kind: ErrorKind, json: Bool, close: Bool) -> Int {
        Int(kind.rawValue) &* 4 &+ (json ? 2 : 0) &+ (close ? 1 : 0)
    }

    private static func head(_ kind: ErrorKind, contentType: String, contentLength: Int, close: Bool, retryAfter: Int) -> [UInt8] {
        var head = "HTTP/1.1 \(kind.status) \(kind.reasonPhrase)\r\n"
        head += "Content-Type: \(contentType)\r\n"
        head += "Content-Length: \(contentLength)\r\n"
        head += "Cache-Control: no-store\r\n"
        if kind == .provisioning { head += "Retry-After: \(retryAfter)\r\n" }
        head += close ? "Connection: close\r\n" : "Connection: keep-alive\r\n"
        head += "\r\n"
        return Array(head.utf8)
    }

    private static func containsIgnoringCase(_ haystack: UnsafeRawBufferPointer, _ needle: StaticString) -> Bool {
        let needleCount = needle.utf8CodeUnitCount
        guard haystack.count >= needleCount else { return false }
        let needleStart = needle.utf8Start
        var start = 0
        while start + needleCount <= haystack.count {
            var index = 0
            while index < needleCount {
                var byte = haystack[start + index]
                if byte >= UInt8(ascii: "A"), byte <= UInt8(ascii: "Z") { byte |= 0x20 }
                if byte != needleStart[index] { break }
                index += 1
            }
            if index == needleCount { return true }
            start += 1
        }
        return false
    }

    private static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// nil if the file does not exist; throws if it exists but cannot be read or is not UTF-8.
    private static func readFile(_ path: String) throws(ErrorPagesError) -> String? {
        guard let file = fopen(path, "rb") else {
            if errno == ENOENT { return nil }
            throw ErrorPagesError(path: path, message: "cannot open (errno \(errno))")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count > 0 { bytes.append(contentsOf: chunk[0 ..< count]) }
            if count < chunk.count { break }
            if bytes.count > 256 * 1024 { throw ErrorPagesError(path: path, message: "template larger than 256 KiB") }
        }
        if ferror(file) != 0 { throw ErrorPagesError(path: path, message: "read error") }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw ErrorPagesError(path: path, message: "template is not valid UTF-8")
        }
        return text
    }
}
