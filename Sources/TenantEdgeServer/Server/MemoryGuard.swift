import Glibc
import Synchronization
import TenantEdgeCore

/// `limits.max_memory_mib`: the process's resident memory against a budget, so that past it
/// the proxy sheds new requests instead of growing until the kernel's OOM killer ends every
/// connection at once (Envoy's overload manager, on resident size rather than heap size,
/// since buffers, OpenSSL and nghttp2 all allocate outside Swift's view).
///
/// One worker samples it from its periodic sweep (a `pread` of `/proc/self/statm`, four
/// times a second, never per request); every worker copies the flag into its own state on
/// the same sweep, so the request path reads a plain field. The flag is set at the limit
/// and cleared under 90% of it, so it does not flap around the line.
public final class MemoryGuard: Sendable {
    private let limit: Atomic<Int>
    private let overloaded = Atomic<Bool>(false)
    private let resident = Atomic<Int>(0)

    init(limitBytes: Int) {
        limit = Atomic(limitBytes)
    }

    /// A reload's limit (`Int.max`: none); takes effect at the next sample.
    public func setLimit(bytes: Int) {
        limit.store(bytes, ordering: .relaxed)
    }

    public var limitBytes: Int { limit.load(ordering: .relaxed) }
    public var isOverloaded: Bool { overloaded.load(ordering: .relaxed) }
    /// The last sample, in bytes (0 before the first).
    public var residentBytes: Int { resident.load(ordering: .relaxed) }

    /// Reads the resident size and updates the flag; returns the flag. Without a limit it
    /// reads nothing.
    @discardableResult
    func sample() -> Bool {
        let limit = limit.load(ordering: .relaxed)
        guard limit != .max else {
            if overloaded.load(ordering: .relaxed) { overloaded.store(false, ordering: .relaxed) }
            return false
        }
        guard let bytes = Self.residentBytes() else { return isOverloaded }
        resident.store(bytes, ordering: .relaxed)
        let was = overloaded.load(ordering: .relaxed)
        let now = MemoryBudget(limitBytes: limit).isOver(residentBytes: bytes, wasOver: was)
        if now != was { overloaded.store(now, ordering: .relaxed) }
        return now
    }

    /// The process's resident set size from `/proc/self/statm`.
    public static func residentBytes() -> Int? {
        let fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var buffer: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
        return withUnsafeMutableBytes(of: &buffer) { raw -> Int? in
            let count = read(fd, raw.baseAddress, raw.count)
            guard count > 0 else { return nil }
            return MemoryBudget.residentBytes(statm: UnsafeRawBufferPointer(rebasing: raw[0..<count]),
                                              pageSize: Int(sysconf(Int32(_SC_PAGESIZE))))
        }
    }
}
