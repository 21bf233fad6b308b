/// An HTML page with `{{status}}`, `{{title}}`, `{{message}}`, `{{code}}` and
/// `{{retry_after}}` placeholders. Parsed once and checked strictly (unknown or unclosed
/// placeholders are errors) so that a typo shows at config load, not as a literal `{{tilte}}`
/// in front of customers.
public struct ErrorPageTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable {
        case text(String)
        case status, title, message, code, retryAfter
    }

    let parts: [Part]

    public init(text: String) throws(ErrorPagesError) {
        var parts: [Part] = []
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            parts.append(.text(String(rest[..<open.lowerBound])))
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw ErrorPagesError(path: "", message: "unclosed '{{'")
            }
            let name = afterOpen[..<close.lowerBound].trimmingBlanks()
            switch name {
            case "status": parts.append(.status)
            case "title": parts.append(.title)
            case "message": parts.append(.message)
            case "code": parts.append(.code)
            case "retry_after": parts.append(.retryAfter)
            default:
                throw ErrorPagesError(
                    path: "", message: "unknown placeholder '{{\(name)}}' (known: status, title, message, code, retry_after)")
            }
            rest = afterOpen[close.upperBound...]
        }
        parts.append(.text(String(rest)))
        self.parts = parts
    }

    /// Values are HTML-escaped: they are our own strings today, but a template must stay
    /// safe if a message ever carries user input.
    public func render(_ kind: ErrorKind, retryAfterSeconds: Int) -> String {
        var out = ""
        for part in parts {
            switch part {
            case .text(let text): out += text
            case .status: out += String(kind.status)
            case .title: out += Self.escape(kind.title)
            case .message: out += Self.escape(kind.message)
            case .code: out += kind.code
            case .retryAfter: out += String(retryAfterSeconds)
            }
        }
        return out
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Index>? {
        let needle = Array(needle.utf8)
        let bytes = utf8
        var start = bytes.startIndex
        while start != bytes.endIndex {
            var candidate = start
            var matched = 0
            while matched < needle.count, candidate != bytes.endIndex, bytes[candidate] == needle[matched] {
                matched += 1
                candidate = bytes.index(after: candidate)
            }
            if matched == needle.count { return start ..< candidate }
            start = bytes.index(after: start)
        }
        return nil
    }

    fileprivate func trimmingBlanks() -> String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
