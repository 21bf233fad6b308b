import Glibc
import Logging

/// Raises the open-files soft limit to the hard limit: every client and upstream
/// connection is a descriptor, and the default soft limit (often 1024) would cap
/// concurrency far below what the proxy can serve.
enum ProcessLimits {
    static func raiseOpenFiles(logger: Logger) {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return }
        guard limit.rlim_cur < limit.rlim_max else { return }
        let wanted = limit.rlim_max
        var raised = limit
        raised.rlim_cur = wanted
        if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 {
            logger.info("raised open-files limit", metadata: ["from": "\(limit.rlim_cur)", "to": "\(wanted)"])
        } else {
            logger.warning("could not raise open-files limit; concurrency is capped", metadata: ["limit": "\(limit.rlim_cur)"])
        }
    }
}
