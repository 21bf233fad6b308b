import Glibc

/// Where connection buffers come from: anonymous mappings of whole pages, not the heap.
///
/// A heap-allocated 33 KiB buffer shares its first and last pages with small objects
/// around it, so after it is freed those pages stay resident: measured, about 7 KiB per
/// idle connection after a burst. A mapping of its own goes back to the system whole
/// when unmapped, and pages never written cost nothing. Allocation is rare in steady
/// state: the per-worker `BufferPool` hands buffers from connection to connection.
enum BufferMemory {
    static func roundedSize(_ capacity: Int) -> Int {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        return (capacity + page - 1) / page * page
    }

    static func allocate(_ capacity: Int) -> UnsafeMutableRawPointer {
        let size = roundedSize(capacity)
        guard let pointer = mmap(nil, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              pointer != MAP_FAILED else {
            fatalError("out of memory: cannot map a \(size)-byte connection buffer")
        }
        return pointer
    }

    static func free(_ pointer: UnsafeMutableRawPointer, capacity: Int) {
        munmap(pointer, roundedSize(capacity))
    }
}
