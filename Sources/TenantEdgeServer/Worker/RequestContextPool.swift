/// A worker's spare `RequestContext`s. Per worker, so no lock; its size follows the number
/// of connections with work in progress, and what a sweep interval did not use is freed
/// (low-water decay, as `BufferPool` does for buffers).
final class RequestContextPool {
    private var free: [RequestContext] = []
    private var lowWater = 0
    /// Contexts taken by HTTP/1.1 connections and not given back: the worker's HTTP/1.1
    /// requests in progress, which `limits.max_active_requests_per_worker` bounds (an HTTP/2
    /// connection's context holds its output, not a request; its streams are counted apart).
    private(set) var inUse = 0

    func take(counted: Bool) -> RequestContext {
        if counted { inUse &+= 1 }
        guard let context = free.popLast() else {
            lowWater = 0
            return RequestContext()
        }
        lowWater = min(lowWater, free.count)
        return context
    }

    func give(_ context: RequestContext, counted: Bool) {
        if counted { inUse &-= 1 }
        context.reset()
        free.append(context)
    }

    /// Called from the sweep: frees half of what stayed unused since the last call.
    func shrink() {
        let excess = lowWater / 2
        if excess > 0 { free.removeLast(excess) }
        lowWater = free.count
    }

    /// A counted context's connection switched to HTTP/2.
    func stopCounting() {
        inUse &-= 1
    }

    /// Frees every spare context (the process is over its memory limit).
    func drain() {
        free.removeAll()
        lowWater = 0
    }
}
