import Foundation

/// Turns libpq's messages into one line fit for a log.
///
/// libpq writes several lines (`connection to server at "127.0.0.1", port 5999 failed:
/// Connection refused` then a tab-indented hint) and doubles spaces after severities
/// (`FATAL:  `). Only the reason is kept: the caller already says where.
enum LibPQText {
    static func firstLine(_ message: String, hiding secret: String?, quotedFragmentsHidden: Bool = false) -> String {
        var line = message.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).first.map(String.init) ?? ""
        if line.hasPrefix("connection to server"), let failed = line.range(of: " failed: ") {
            line = String(line[failed.upperBound...])
        }
        while line.contains("  ") { line = line.replacingOccurrences(of: "  ", with: " ") }
        if let secret, !secret.isEmpty { line = line.replacingOccurrences(of: secret, with: "***") }
        if quotedFragmentsHidden { line = hideQuotedFragments(line) }
        line = line.trimmingCharacters(in: .whitespaces)
        return line.isEmpty ? "unknown error" : line
    }

    /// Parse errors quote pieces of the connection string (`missing "=" after "s3cret" in
    /// connection info string`), and such a piece can be the password; keep only punctuation.
    private static func hideQuotedFragments(_ line: String) -> String {
        var output = ""
        var quoted = ""
        var inQuote = false
        for character in line {
            if character == "\"" {
                if inQuote {
                    output += quoted.count <= 1 ? "\"\(quoted)\"" : "\"***\""
                    quoted = ""
                }
                inQuote.toggle()
            } else if inQuote {
                quoted.append(character)
            } else {
                output.append(character)
            }
        }
        return output
    }

    /// `host:port`, with brackets for IPv6 literals; unix socket directories are shown as is.
    static func endpoint(host: String, port: String) -> String {
        if host.hasPrefix("/") { return "\(host) (port \(port))" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
