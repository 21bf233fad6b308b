import Foundation
import Testing
import TenantEdgeCore

@Suite struct ErrorPagesTests {
    let pages: ErrorPages

    init() throws {
        pages = try ErrorPages(templatesDirectory: nil, retryAfterSeconds: 30)
    }

    @Test(arguments: ErrorKind.allCases)
    func jsonResponsesAreWellFormed(kind: ErrorKind) throws {
        for close in [false, true] {
            let response = Parsed(pages.response(kind, json: true, close: close))
            #expect(response.statusLine == "HTTP/1.1 \(kind.status) \(kind.reasonPhrase)")
            #expect(response.headers["content-type"] == "application/json")
            #expect(response.headers["content-length"] == String(response.body.count))
            #expect(response.headers["cache-control"] == "no-store")
            #expect(response.headers["connection"] == (close ? "close" : "keep-alive"))
            #expect(response.headers["retry-after"] == (kind == .provisioning ? "30" : nil))
            #expect(pages.headLength(kind, json: true, close: close) == response.headLength)

            let object = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            #expect(object["success"] as? Bool == false)
            #expect(object["code"] as? String == kind.code)
            #expect(object["message"] as? String == kind.message)
            #expect(object.count == 3)
        }
    }

    @Test(arguments: ErrorKind.allCases)
    func htmlResponsesAreWellFormed(kind: ErrorKind) {
        let response = Parsed(pages.response(kind, json: false, close: true))
        #expect(response.headers["content-type"] == "text/html; charset=utf-8")
        #expect(response.headers["content-length"] == String(response.body.count))
        let html = String(decoding: response.body, as: UTF8.self)
        #expect(html.contains("<title>\(kind.title)</title>"))
        #expect(html.contains(kind.code))
        #expect(!html.contains("{{"))
    }

    @Test func storeCodes() {
        let codes = [ErrorKind.notFound, .inactive, .provisioning, .closed].map(\.code)
        #expect(codes == ["STORE_NOT_FOUND", "STORE_INACTIVE", "STORE_PROVISIONING", "STORE_CLOSED"])
        #expect(ErrorKind(status: 431) == .headersTooLarge)
        #expect(ErrorKind(status: 503) == .serviceUnavailable)
        #expect(ErrorKind(status: 418) == .badRequest)
        #expect(ErrorKind(status: 599) == .internalError)
    }

    @Test func shippedTemplatesMatchTheBuiltInPages() throws {
        let directory = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/pages").path
        let shipped = try ErrorPages(templatesDirectory: directory, retryAfterSeconds: 30)
        for kind in ErrorKind.allCases {
            #expect(shipped.response(kind, json: false, close: false) == pages.response(kind, json: false, close: false))
        }
        let provisioning = String(decoding: shipped.response(.provisioning, json: false, close: false), as: UTF8.self)
        #expect(provisioning.contains("<meta http-equiv=\"refresh\" content=\"30\">"))
    }

    @Test func customTemplatesAreCheckedAtLoad() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }

        let page = directory.appendingPathComponent("not_found.html")
        try "<h1>{{ title }}</h1><p>{{message}} ({{status}})</p>".write(to: page, atomically: true, encoding: .utf8)
        let custom = try ErrorPages(templatesDirectory: directory.path, retryAfterSeconds: 5)
        let body = Parsed(custom.response(.notFound, json: false, close: false)).body
        #expect(String(decoding: body, as: UTF8.self) == "<h1>Store not found</h1><p>There is no store at this address. (404)</p>")
        // Missing files fall back to the built-in page.
        #expect(custom.response(.closed, json: false, close: false) == pages.response(.closed, json: false, close: false))

        try "<h1>{{tilte}}</h1>".write(to: page, atomically: true, encoding: .utf8)
        #expect(throws: ErrorPagesError.self) { try ErrorPages(templatesDirectory: directory.path, retryAfterSeconds: 5) }
        try "<h1>{{title</h1>".write(to: page, atomically: true, encoding: .utf8)
        #expect(throws: ErrorPagesError.self) { try ErrorPages(templatesDirectory: directory.path, retryAfterSeconds: 5) }
        try Data([0x3C, 0xFF, 0xFE]).write(to: page)
        #expect(throws: ErrorPagesError.self) { try ErrorPages(templatesDirectory: directory.path, retryAfterSeconds: 5) }
        #expect(throws: ErrorPagesError.self) {
            try ErrorPages(templatesDirectory: directory.path + "/does-not-exist", retryAfterSeconds: 5)
        }
    }

    @Test(arguments: [
        ("/api/products", nil, true),
        ("/api", nil, true),
        ("/api?x=1", nil, true),
        ("/apis", nil, false),
        ("/API/x", nil, false),
        ("/", "text/html,application/xhtml+xml", false),
        ("/", "Application/JSON", true),
        ("/cart", "text/html;q=0.9, application/json", true),
        ("/", "", false),
    ] as [(String, String?, Bool)])
    func wantsJSON(path: String, accept: String?, expected: Bool) {
        let pathBytes = Array(path.utf8)
        let acceptBytes = accept.map { Array($0.utf8) }
        let result = pathBytes.withUnsafeBytes { pathBuffer in
            if let acceptBytes {
                return acceptBytes.withUnsafeBytes { ErrorPages.wantsJSON(path: pathBuffer, accept: $0) }
            }
            return ErrorPages.wantsJSON(path: pathBuffer, accept: nil)
        }
        #expect(result == expected)
    }
}

/// Splits a pre-rendered response the way a client would.
private struct Parsed {
    var statusLine = ""
    var headers: [String: String] = [:]
    var body: [UInt8] = []
    var headLength = 0

    init(_ bytes: [UInt8]) {
        let separator = Array("\r\n\r\n".utf8)
        guard let end = (0 ... bytes.count - 4).first(where: { Array(bytes[$0 ..< $0 + 4]) == separator }) else { return }
        headLength = end + 4
        body = Array(bytes[headLength...])
        let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        statusLine = lines[0]
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces)
        }
    }
}
