import Foundation
import TenantEdgeCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The last known route map on disk, so a restart while the master database is down still
/// routes (DESIGN.md section 4). The format is `RouteMapData` as JSON.
///
/// Writes are atomic and durable: a temporary file in the same folder is written and fsynced,
/// renamed over the old one, and the folder is fsynced. A crash at any point leaves either the
/// old snapshot or the new one, never a torn file that would fail the next start.
public struct RouteSnapshotFile: Sendable {
    public let path: String

    public init(path: String) {
        self.path = path
    }

    public func write(_ data: RouteMapData) throws(RouteSnapshotError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let bytes: Data
        do {
            bytes = try encoder.encode(data)
        } catch {
            throw RouteSnapshotError(code: .io, path: path, detail: "cannot encode: \(error)")
        }
        try writeAtomically(bytes)
    }

    /// Writes the live rows of `table` in the same format, encoded directly from the table's
    /// indexes: a million-host map as `RouteMapData` and through `JSONEncoder` would cost
    /// seconds and hundreds of megabytes on every sync.
    public func write(_ table: RouteTable) throws(RouteSnapshotError) {
        try writeAtomically(RouteSnapshotEncoder.encode(table))
    }

    private func writeAtomically(_ bytes: some ContiguousBytes) throws(RouteSnapshotError) {
        var failure: RouteSnapshotError?
        bytes.withUnsafeBytes { buffer in
            do throws(RouteSnapshotError) { try writeAtomically(buffer) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    private func writeAtomically(_ buffer: UnsafeRawBufferPointer) throws(RouteSnapshotError) {
        let directory = (path as NSString).deletingLastPathComponent
        let folder = directory.isEmpty ? "." : directory
        let temporary = "\(folder)/.\((path as NSString).lastPathComponent).\(getpid()).\(UInt32.random(in: .min ... .max)).tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw failure("cannot create \(temporary)") }
        var renamed = false
        defer { if !renamed { unlink(temporary) } }
        let written = writeAll(descriptor, buffer)
        let synced = written && fsync(descriptor) == 0
        let savedErrno = errno
        close(descriptor)
        guard synced else {
            errno = savedErrno
            throw failure("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw failure("cannot rename \(temporary) into place") }
        renamed = true
        // The rename is only durable once the folder's entry is on disk.
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard folderDescriptor >= 0 else { throw failure("cannot open folder \(folder) to sync it") }
        defer { close(folderDescriptor) }
        guard fsync(folderDescriptor) == 0 else { throw failure("cannot sync folder \(folder)") }
    }

    public func read() throws(RouteSnapshotError) -> RouteMapData {
        let bytes: Data
        do {
            bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            if access(path, F_OK) != 0, errno == ENOENT {
                throw RouteSnapshotError(code: .missing, path: path, detail: "no such file")
            }
            throw failure("cannot read")
        }
        do {
            return try JSONDecoder().decode(RouteMapData.self, from: bytes)
        } catch let error as DecodingError {
            throw RouteSnapshotError(code: .corrupt, path: path, detail: Self.explain(error))
        } catch {
            throw RouteSnapshotError(code: .corrupt, path: path, detail: "\(error)")
        }
    }

    private func failure(_ what: String) -> RouteSnapshotError {
        RouteSnapshotError(code: .io, path: path, detail: "\(what): \(String(cString: strerror(errno)))")
    }

    private func writeAll(_ descriptor: Int32, _ buffer: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let count = systemWrite(descriptor, buffer.baseAddress! + offset, buffer.count - offset)
            if count < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += count
        }
        return true
    }

    /// A one-line reason instead of DecodingError's nested dump.
    private static func explain(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys)"
        }
        switch error {
        case let .dataCorrupted(context): return "not valid JSON\(path(context))"
        case let .keyNotFound(key, context): return "missing '\(key.stringValue)'\(path(context))"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            return "unexpected value\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

/// POSIX write(2); a free function because inside `RouteSnapshotFile` the name `write` is the method.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
