/// Free buffer storage of one size, per worker: idle connections return theirs here and
/// busy ones take it back without going through malloc.
///
/// Invariant: every pointer held came from `BufferMemory.allocate(bufferSize)` and is owned
/// by the pool until `take` hands it out. Not shared between threads.
struct BufferPool {
    let bufferSize: Int
    /// Beyond this many free buffers, returned ones are freed (memory goes back after a burst).
    let maxFree: Int
    private var free: [UnsafeMutableRawPointer] = []

    /// Buffers freed since the last `trimmed()`: memory the process may hand back.
    private(set) var freedSinceTrim = 0

    init(bufferSize: Int, maxFree: Int = 64) {
        self.bufferSize = bufferSize
        self.maxFree = maxFree
    }

    mutating func take() -> UnsafeMutableRawPointer {
        free.popLast() ?? BufferMemory.allocate(bufferSize)
    }

    mutating func give(_ pointer: UnsafeMutableRawPointer) {
        if free.count < maxFree {
            free.append(pointer)
        } else {
            BufferMemory.free(pointer, capacity: bufferSize)
            freedSinceTrim += 1
        }
    }

    mutating func trimmed() { freedSinceTrim = 0 }

    mutating func drain() {
        for pointer in free { BufferMemory.free(pointer, capacity: bufferSize) }
        free.removeAll()
    }
}
