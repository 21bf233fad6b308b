/// One line of `tenant-edge doctor`: what was checked, what was found, and for anything not
/// fine, what to do about it.
public struct DoctorCheck: Sendable, Equatable, CustomStringConvertible {
    public enum Outcome: String, Sendable, Equatable {
        case ok = "ok"
        /// Works, but something deserves attention (skipped rows, no snapshot path).
        case warning = "WARN"
        case failure = "FAIL"
    }

    public var name: String
    public var outcome: Outcome
    public var detail: String
    public var fix: String?

    public init(_ name: String, _ outcome: Outcome, _ detail: String, fix: String? = nil) {
        self.name = name
        self.outcome = outcome
        self.detail = detail
        self.fix = fix
    }

    public var description: String {
        let padded = outcome.rawValue.padding(toLength: 4, withPad: " ", startingAt: 0)
        return "\(padded)  \(name): \(detail)" + (fix.map { " -- fix: \($0)" } ?? "")
    }
}
