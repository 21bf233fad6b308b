import TenantEdgeCore

/// One admin client: read a request head (bounded), then write the response and close.
/// A struct the server loop drives, with no socket calls of its own, so its states stay
/// apart from the I/O.
struct AdminConnection {
    /// Heads above this are refused (431): admin requests are a line and a few headers.
    static let maxHeadBytes = 8 * 1024

    enum Phase { case reading, writing, done }

    let fd: Int32
    let deadlineMs: Int64
    var phase = Phase.reading
    var input: [UInt8] = []
    var output: [UInt8] = []
    var written = 0
    private var parser = HTTPRequestParser()

    init(fd: Int32, deadlineMs: Int64) {
        self.fd = fd
        self.deadlineMs = deadlineMs
        input.reserveCapacity(1024)
    }

    /// Feeds newly read bytes; on a complete (or hopeless) head the response is prepared
    /// and the phase moves to writing.
    mutating func received(_ bytes: UnsafeRawBufferPointer, router: AdminRouter) {
        input.append(contentsOf: bytes)
        let result = input.withUnsafeBytes { parser.parse($0) }
        switch result {
        case .incomplete:
            if input.count >= Self.maxHeadBytes { finish(AdminResponse.text(431, "request head too large\n"), head: false) }
        case .error:
            finish(AdminResponse.text(400, "bad request\n"), head: false)
        case .complete:
            let head = parser.head
            let (path, authorization) = input.withUnsafeBytes { buffer in
                (Self.path(buffer, head.originFormRange), authorizationValue(buffer))
            }
            finish(router.respond(method: head.method, path: path, authorization: authorization), head: head.method == .head)
        }
    }

    /// The peer closed or the deadline passed before a complete head.
    mutating func timedOut() {
        finish(AdminResponse.text(408, "request timeout\n"), head: false)
    }

    private mutating func finish(_ response: AdminResponse, head: Bool) {
        output = response.serialize(includeBody: !head)
        written = 0
        phase = .writing
    }

    private static func path(_ buffer: UnsafeRawBufferPointer, _ range: Range<Int>) -> String {
        var end = range.upperBound
        for index in range where buffer[index] == UInt8(ascii: "?") {
            end = index
            break
        }
        return String(decoding: UnsafeRawBufferPointer(rebasing: buffer[range.lowerBound..<end]), as: UTF8.self)
    }

    private func authorizationValue(_ buffer: UnsafeRawBufferPointer) -> [UInt8]? {
        let name = Array("authorization".utf8)
        for field in parser.fields where field.nameRange.count == name.count {
            let matches = zip(field.nameRange, name).allSatisfy { buffer[$0.0] | 0x20 == $0.1 }
            if matches { return Array(UnsafeRawBufferPointer(rebasing: buffer[field.valueRange])) }
        }
        return nil
    }
}
