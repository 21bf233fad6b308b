import Foundation
import Testing
import TenantEdgeMaster
@testable import TenantEdgeACME
import TenantEdgeTestSupport

struct CertificateRepositoryTests {
    static let vault = try! CertificateVault(base64: Data(repeating: 9, count: 32).base64EncodedString(), variable: "ENCRYPTION_KEY")

    /// A self-signed chain for `hostname`, made with swift-certificates like a CA would.
    static func chain(for request: CertificateRequest) throws -> IssuedChain {
        try IssuedChain(pem: SelfSigned.pem(for: request))
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func theKeyAtRestIsSealedAndOpensBack() throws {
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        let repository = CertificateRepository(connection: schema.connection)
        let request = CertificateRequest(hostname: "shop.example")
        try repository.beginOrder("shop.example")
        let sealed = try Self.vault.seal(Array(request.privateKeyPEM.utf8), context: "shop.example")
        try repository.storeIssued("shop.example", chain: try Self.chain(for: request), sealedKey: sealed)

        // Read the raw column: neither the PEM text nor the key's secret scalar is in it.
        let raw = try schema.connection.query(
            "SELECT encode(key_ciphertext, 'hex'), length(key_nonce)::text, length(key_ciphertext)::text FROM tenant_edge_certificates")
        let stored = try #require(raw[0, 0])
        #expect(!stored.contains(Hex.encode(Array("PRIVATE KEY".utf8))))
        #expect(!stored.contains(Hex.encode(Array(request.privateKey.rawRepresentation.prefix(8)))))
        #expect(raw[0, 1] == "12")
        #expect(raw[0, 2] == String(request.privateKeyPEM.utf8.count + 16))

        let record = try #require(try repository.record("shop.example"))
        #expect(record.state == .valid)
        #expect(record.orders == 1)
        #expect(record.notAfter != nil && record.chainPEM?.contains("BEGIN CERTIFICATE") == true)
        let opened = try Self.vault.open(try #require(record.sealedKey), context: "shop.example")
        #expect(String(decoding: opened, as: UTF8.self) == request.privateKeyPEM)
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func theAdvisoryLockAdmitsOneSessionPerHostname() throws {
        let first = try TestDatabase.freshSchema()
        let second = try PostgresConnection.connect(TestDatabase.url)
        let a = CertificateRepository(connection: first.connection)
        let b = CertificateRepository(connection: second)
        let name = "lock-\(UInt32.random(in: 0 ... .max)).example"
        #expect(try a.tryLock(name))
        #expect(try !b.tryLock(name))
        #expect(try b.tryLock("other-" + name))
        try a.unlock(name)
        #expect(try b.tryLock(name))
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func changesAreAnnouncedWithTheHostname() throws {
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        try schema.connection.execute("LISTEN \(CertificateRepository.channel)")
        let repository = CertificateRepository(connection: schema.connection)
        try repository.beginOrder("a.example")
        try repository.storeFailure("a.example", reason: "connection refused", nextAttemptAt: 2_000_000_000)
        let payloads = try schema.connection.notifications().map(\.payload)
        #expect(payloads == ["a.example", "a.example"])
        let record = try #require(try repository.record("a.example"))
        #expect(record.state == .failing && record.failures == 1 && record.nextAttemptAt == 2_000_000_000)
    }
}
