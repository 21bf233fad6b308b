/// A fixed-capacity byte buffer for one direction of one connection.
///
/// Invariants (the only unsafe state of the data plane's buffering):
/// - `base` points to `capacity` bytes owned by this buffer and freed in `deinit`;
/// - `0 <= readIndex <= writeIndex <= capacity`; bytes in `readIndex..<writeIndex` are
///   received and not yet consumed;
/// - only the worker thread that owns the connection touches it (not `Sendable`).
/// Pointers handed out by the `with...` accessors are valid only inside the closure or
/// until the next mutating call.
///
/// It is a class so that a connection can lend its input bytes to its peer's `writev`
/// without copying them (DESIGN.md section 2: forward bytes, don't rebuild them).
///
/// An idle keep-alive connection gives its storage back (`releaseStorage`) and takes
/// one again before its next read (`restoreStorage`), so thousands of idle connections
/// cost a few hundred bytes each rather than a buffer each (nginx does the same).
final class IOBuffer {
    private(set) var base: UnsafeMutableRawPointer
    let capacity: Int
    private(set) var readIndex = 0
    private(set) var writeIndex = 0
    private(set) var hasStorage = true

    init(capacity: Int) {
        self.capacity = capacity
        self.base = BufferMemory.allocate(capacity)
    }

    /// A buffer that takes its storage from a pool on first use (`restoreStorage`): a
    /// connection that never sends, or sends between long pauses, costs no buffer.
    /// `base` is a never-dereferenced placeholder until then (all counts are zero).
    init(pooledCapacity capacity: Int) {
        self.capacity = capacity
        self.base = UnsafeMutableRawPointer(bitPattern: 16)!
        self.hasStorage = false
    }

    deinit { if hasStorage { BufferMemory.free(base, capacity: capacity) } }

    /// Hands the (empty) storage to `pool`; `base` must not be used until `restoreStorage`.
    func releaseStorage(to pool: inout BufferPool) {
        precondition(isEmpty && hasStorage && capacity == pool.bufferSize)
        pool.give(base)
        hasStorage = false
    }

    /// At close: unread bytes are dropped and the storage goes back to `pool` (freed instead
    /// if a reload changed the pool's buffer size), so a connection per request costs no
    /// mmap/munmap pair.
    func recycleStorage(to pool: inout BufferPool) {
        guard hasStorage else { return }
        readIndex = 0
        writeIndex = 0
        hasStorage = false
        if capacity == pool.bufferSize {
            pool.give(base)
        } else {
            BufferMemory.free(base, capacity: capacity)
        }
    }

    func restoreStorage(from pool: inout BufferPool) {
        guard !hasStorage else { return }
        base = pool.take()
        hasStorage = true
        readIndex = 0
        writeIndex = 0
    }

    var readableCount: Int { writeIndex - readIndex }
    var isEmpty: Bool { readIndex == writeIndex }
    var writableCount: Int { capacity - writeIndex }
    var isFull: Bool { writeIndex == capacity && readIndex == 0 }

    /// The unconsumed bytes.
    var readable: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: base + readIndex, count: writeIndex - readIndex)
    }

    /// Space after the received bytes, moving them to the front first when that frees room.
    func prepareForRead() -> UnsafeMutableRawBufferPointer {
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        } else if writeIndex == capacity && readIndex > 0 {
            compact()
        }
        return UnsafeMutableRawBufferPointer(start: base + writeIndex, count: capacity - writeIndex)
    }

    func compact() {
        let n = writeIndex - readIndex
        if readIndex > 0 && n > 0 { (base).copyMemory(from: base + readIndex, byteCount: n) }
        readIndex = 0
        writeIndex = n
    }

    func didWrite(_ n: Int) {
        precondition(n >= 0 && writeIndex + n <= capacity)
        writeIndex += n
    }

    func consume(_ n: Int) {
        precondition(n >= 0 && readIndex + n <= writeIndex)
        readIndex += n
        if readIndex == writeIndex {
            readIndex = 0
            writeIndex = 0
        }
    }

    func clear() {
        readIndex = 0
        writeIndex = 0
    }

    /// Appends bytes if they fit; returns false (and appends nothing) if they do not.
    @discardableResult
    func append(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.count > capacity - writeIndex { compact() }
        guard bytes.count <= capacity - writeIndex else { return false }
        if let src = bytes.baseAddress, bytes.count > 0 {
            (base + writeIndex).copyMemory(from: src, byteCount: bytes.count)
        }
        writeIndex += bytes.count
        return true
    }

    @discardableResult
    func append(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { append($0) }
    }
}
