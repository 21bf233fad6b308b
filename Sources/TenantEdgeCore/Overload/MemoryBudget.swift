/// The decision behind `limits.max_memory_mib`, free of I/O: whether the process is over
/// its memory budget, and its resident size read from `/proc/self/statm`'s text.
///
/// Over at the limit, back under only below 90% of it: freeing pools and finishing the
/// requests in progress brings memory down in steps, and a single threshold would flap
/// between shedding and serving on every sample near the line.
public struct MemoryBudget: Sendable, Equatable {
    public var limitBytes: Int

    public init(limitBytes: Int) {
        self.limitBytes = limitBytes
    }

    /// Where shedding stops once started.
    public var resumeBelowBytes: Int { limitBytes - limitBytes / 10 }

    /// The new state for a sample of `residentBytes`, given whether new requests were being shed.
    public func isOver(residentBytes: Int, wasOver: Bool) -> Bool {
        wasOver ? residentBytes >= resumeBelowBytes : residentBytes >= limitBytes
    }

    /// `size resident shared text lib data dt` (pages): the second number times the page
    /// size; nil for anything else (the kernel's format is fixed, so this means a bad read).
    public static func residentBytes(statm text: some Sequence<UInt8>, pageSize: Int) -> Int? {
        var field = 0
        var value = 0
        var digits = 0
        for byte in text {
            if byte >= 0x30 && byte <= 0x39 {
                guard digits < 18 else { return nil }
                value = value * 10 + Int(byte - 0x30)
                digits += 1
            } else if byte == 0x20 && digits > 0 {
                if field == 1 { return value * pageSize }
                field += 1
                value = 0
                digits = 0
            } else {
                return nil
            }
        }
        return nil
    }
}
