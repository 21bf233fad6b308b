import Foundation
import Testing
import TenantEdgeCore
@testable import TenantEdgeMaster

struct RouteSnapshotFileTests {
    private func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "snapshot-test-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test func roundTripReplacesTheOldSnapshotAndLeavesNoTemporaryFiles() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = RouteSnapshotFile(path: directory + "/routes.json")
        let first = RouteMapData(stores: [StoreRecord(id: "1", slug: "a", status: "active", isActive: true)],
                                 hostnames: [HostnameRecord(hostname: "a.example", storeId: "1", isCustomDomain: true)],
                                 sequence: 7)
        try file.write(first)
        #expect(try file.read() == first)
        let second = RouteMapData(stores: [], hostnames: [], sequence: 8)
        try file.write(second)
        #expect(try file.read() == second)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["routes.json"])
    }

    @Test func missingSnapshotSaysSo() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let file = RouteSnapshotFile(path: directory + "/routes.json")
        #expect(throws: RouteSnapshotError.self) { try file.read() }
        do {
            _ = try file.read()
        } catch {
            #expect(error.code == .missing)
            #expect(error.description == "route snapshot \(directory)/routes.json does not exist")
        }
    }

    @Test(arguments: ["{\"stores\": [", "{\"stores\": [], \"hostnames\": []}", "[]"])
    func corruptSnapshotIsReportedAsCorrupt(content: String) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/routes.json"
        try content.write(toFile: path, atomically: false, encoding: .utf8)
        do {
            _ = try RouteSnapshotFile(path: path).read()
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.description.hasPrefix("route snapshot \(path) is corrupt: "))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func unwritableFolderIsAnIOError() {
        let file = RouteSnapshotFile(path: "/nonexistent-folder-\(UUID().uuidString)/routes.json")
        do {
            try file.write(RouteMapData())
            Issue.record("expected an error")
        } catch {
            #expect(error.code == .io)
            #expect(error.description.contains("No such file or directory"))
        }
    }
}
