import Testing
@testable import TenantEdgeCore

@Suite struct HTTPMethodTests {
    @Test(arguments: [
        ("GET", HTTPMethod.get), ("HEAD", .head), ("POST", .post), ("PUT", .put), ("DELETE", .delete),
        ("OPTIONS", .options), ("TRACE", .trace), ("PATCH", .patch), ("get", .other), ("PURGE", .other),
        ("GETS", .other), ("PUSH", .other), ("DELETX", .other),
    ])
    func classification(token: String, method: HTTPMethod) {
        let r = parseRequest("\(token) / HTTP/1.1\r\nHost: a\r\n\r\n")
        #expect(r.result == .complete)
        #expect(r.head.method == method)
        #expect(r.text(r.head.methodRange) == token)
    }

    @Test func idempotence() {
        let idempotent: Set<HTTPMethod> = [.get, .head, .put, .delete, .options, .trace]
        for method in [HTTPMethod.get, .head, .post, .put, .delete, .connect, .options, .trace, .patch, .other] {
            #expect(method.isIdempotent == idempotent.contains(method))
        }
    }
}
