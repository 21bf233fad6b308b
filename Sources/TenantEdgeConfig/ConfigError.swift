/// Every problem found in one configuration file, reported together so that one run of
/// `check-config` shows the whole list instead of one fix-and-retry round per mistake.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// The configuration file as it was named to the loader.
    public var file: String
    /// All problems, in document order as far as the walk allows.
    public var problems: [ConfigProblem]

    public init(file: String, problems: [ConfigProblem]) {
        self.file = file
        self.problems = problems
    }

    /// One line per problem, `config.yaml:12: upstreams.default.servers[0]: message`, the
    /// format compilers use so editors and terminals can jump to the line.
    public var description: String {
        problems.map { problem in
            var text = file
            if let line = problem.line { text += ":\(line)" }
            text += ": "
            if !problem.keyPath.isEmpty { text += "\(problem.keyPath): " }
            return text + problem.message
        }.joined(separator: "\n")
    }
}
