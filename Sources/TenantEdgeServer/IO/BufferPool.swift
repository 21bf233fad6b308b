/// Free buffer storage of one size, per worker: idle connections return theirs here and
/// busy ones take it back, so steady traffic neither maps memory nor takes page faults.
///
/// The pool gives memory back gradually: each sweep frees half of the buffers that were
/// not needed since the previous sweep (the low-water mark), so a burst's buffers return
/// to the system within seconds while a steady load keeps what it keeps using. (A fixed
/// small cap churned: 64 client and 64 upstream buffers in circulation at 64 connections
/// meant a map, an unmap and fresh page faults on many requests.)
///
/// Invariant: every pointer held came from `BufferMemory.allocate(bufferSize)` and is owned
/// by the pool until `take` hands it out. Not shared between threads.
struct BufferPool {
    let bufferSize: Int
    /// Hard bound on what the pool keeps, whatever the sweeps do.
    let maxFree: Int
    private var free: [UnsafeMutableRawPointer] = []
    /// Fewest free buffers since the last sweep: that many went unused all along.
    private var lowWater = 0
    /// Buffers freed since the last `trimmed()`: memory the process may hand back.
    private(set) var freedSinceTrim = 0
    /// False while the process is over its memory limit: what is given back is freed at once.
    var keepsSpares = true

    init(bufferSize: Int, maxFree: Int = 4096) {
        self.bufferSize = bufferSize
        self.maxFree = maxFree
    }

    mutating func take() -> UnsafeMutableRawPointer {
        guard let pointer = free.popLast() else {
            lowWater = 0
            return BufferMemory.allocate(bufferSize)
        }
        lowWater = min(lowWater, free.count)
        return pointer
    }

    mutating func give(_ pointer: UnsafeMutableRawPointer) {
        if keepsSpares && free.count < maxFree {
            free.append(pointer)
        } else {
            BufferMemory.free(pointer, capacity: bufferSize)
            freedSinceTrim += 1
        }
    }

    /// Called by the worker's sweep: frees half of what went unused since the last call.
    mutating func shrink() {
        let excess = lowWater / 2
        for _ in 0..<excess {
            if let pointer = free.popLast() {
                BufferMemory.free(pointer, capacity: bufferSize)
                freedSinceTrim += 1
            }
        }
        lowWater = free.count
    }

    mutating func trimmed() { freedSinceTrim = 0 }

    mutating func drain() {
        for pointer in free { BufferMemory.free(pointer, capacity: bufferSize) }
        free.removeAll()
    }
}
