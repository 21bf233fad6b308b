import Foundation
import Testing
@testable import TenantEdgeMaster
import TenantEdgeTestSupport

struct PostgresConnectionTests {
    @Test(arguments: [
        "postgresql://edge:s3cretpw@127.0.0.1:5999/platform?sslmode=disable",
        "host=127.0.0.1 port=5999 user=edge password=s3cretpw dbname=platform",
    ])
    func connectionRefusedIsOneLineWithHostAndPortAndNoPassword(conninfo: String) {
        do {
            _ = try PostgresConnection.connect(conninfo)
            Issue.record("expected connection refused")
        } catch {
            #expect(error.code == .connect)
            #expect(error.description == "cannot connect to master database at 127.0.0.1:5999: Connection refused")
        }
    }

    @Test func unparseableConnectionStringHidesWhatItQuotes() {
        do {
            _ = try PostgresConnection.connect("host=127.0.0.1 password=open sesame")
            Issue.record("expected a parse error")
        } catch {
            #expect(error.code == .invalidConnectionString)
            #expect(!error.description.contains("sesame"))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func libpqMessagesAreCutToTheirReason() {
        let message = """
            connection to server at "10.0.0.5", port 5432 failed: FATAL:  password authentication failed for user "edge"
            \tIs the server running on that host and accepting TCP/IP connections?

            """
        #expect(LibPQText.firstLine(message, hiding: nil)
            == "FATAL: password authentication failed for user \"edge\"")
        #expect(LibPQText.firstLine("could not translate host name \"pw123\"", hiding: "pw123")
            == "could not translate host name \"***\"")
        #expect(LibPQText.endpoint(host: "::1", port: "5432") == "[::1]:5432")
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func queryPassesParametersAndReturnsNulls() throws {
        let db = try PostgresConnection.connect(TestDatabase.url)
        #expect(db.isConnected)
        let result = try db.query("SELECT $1::text AS a, $2::text AS b, 'it''s'::text AS c", params: ["x'; --", nil])
        #expect(result.columns == ["a", "b", "c"])
        #expect(result.rows == [["x'; --", nil, "it's"]])
        #expect(result.value(row: 0, column: "c") == "it's")
    }

    @Test(.enabled(if: TestDatabase.isAvailable, TestDatabase.skipReason))
    func triggerNotifiesTheNewSequenceToAListener() throws {
        let listener = try PostgresConnection.connect(TestDatabase.url)
        try listener.execute("LISTEN tenant_edge_changes")
        let schema = try TestDatabase.freshSchema()
        try Migration.apply(schema.connection)
        try schema.connection.execute("INSERT INTO stores (slug, status) VALUES ('notified', 'active')")
        let sequence = try schema.connection.query("SELECT max(seq)::text FROM tenant_edge_changes")[0, 0]
        var received: [PostgresNotification] = []
        let deadline = Date().addingTimeInterval(5)
        // Other tests may notify on the same channel concurrently; wait for ours.
        while !received.contains(where: { $0.payload == sequence }), Date() < deadline {
            received += try listener.notifications()
            usleep(10_000)
        }
        let ours = received.first { $0.payload == sequence }
        #expect(ours?.channel == "tenant_edge_changes")
        #expect(listener.socketDescriptor >= 0)
    }
}
