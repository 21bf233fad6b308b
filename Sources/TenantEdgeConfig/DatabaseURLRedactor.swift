/// Masks the password in a libpq connection string so it can be logged and shown in errors.
///
/// libpq accepts two forms and both may carry a password:
/// - URL: `postgresql://user:pw@host:5432/db?sslmode=require` (and `?password=pw` in the query)
/// - keyword: `host=h user=u password=pw` (values may be single-quoted with `\'` escapes)
///
/// When the text cannot be parsed, nothing of it is shown: a redactor that guesses may leak.
public enum DatabaseURLRedactor {
    public static let mask = "***"

    public static func redact(_ conninfo: String) -> String {
        if conninfo.hasPrefix("postgresql://") || conninfo.hasPrefix("postgres://") {
            return redactURL(conninfo)
        }
        return redactKeywords(conninfo) ?? "(connection string hidden: it could not be parsed)"
    }

    /// The password sits between the first ':' of the user info and the '@' that ends it. libpq
    /// ends the user info at the first '@' or '/', but the last '@' before the path is used
    /// here so an unescaped '@' in a password is masked too.
    private static func redactURL(_ url: String) -> String {
        let schemeEnd = url.range(of: "://")!.upperBound
        let rest = url[schemeEnd...]
        var output = String(url[..<schemeEnd])
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            if let colon = userInfo.firstIndex(of: ":") {
                output += userInfo[..<colon] + ":" + mask
            } else {
                output += userInfo
            }
            output += authority[at...]
        } else {
            output += authority
        }
        let tail = rest[authorityEnd...]
        guard let question = tail.firstIndex(of: "?") else { return output + tail }
        output += tail[...question]
        let parameters = tail[tail.index(after: question)...].split(separator: "&", omittingEmptySubsequences: false)
        output += parameters.map { parameter in
            let name = parameter.split(separator: "=", maxSplits: 1).first ?? ""
            return name == "password" ? "password=\(mask)" : String(parameter)
        }.joined(separator: "&")
        return output
    }

    /// Tokenizes `keyword = value` pairs the way libpq's conninfo parser does and replaces the
    /// value of `password`, keeping everything else byte for byte.
    private static func redactKeywords(_ text: String) -> String? {
        let bytes = Array(text.utf8)
        var output: [UInt8] = []
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        while index < bytes.count {
            while index < bytes.count, isSpace(bytes[index]) { output.append(bytes[index]); index += 1 }
            if index == bytes.count { break }
            let keywordStart = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "="), !isSpace(bytes[index]) { index += 1 }
            let keyword = bytes[keywordStart..<index]
            output.append(contentsOf: keyword)
            while index < bytes.count, isSpace(bytes[index]) { output.append(bytes[index]); index += 1 }
            guard index < bytes.count, bytes[index] == UInt8(ascii: "=") else { return nil }
            output.append(bytes[index]); index += 1
            while index < bytes.count, isSpace(bytes[index]) { output.append(bytes[index]); index += 1 }
            let valueStart = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "'") {
                index += 1
                var closed = false
                while index < bytes.count {
                    if bytes[index] == UInt8(ascii: "\\") { index += 2; continue }
                    if bytes[index] == UInt8(ascii: "'") { index += 1; closed = true; break }
                    index += 1
                }
                guard closed else { return nil }
            } else {
                while index < bytes.count, !isSpace(bytes[index]) {
                    if bytes[index] == UInt8(ascii: "\\") { index += 1 }
                    index += 1
                }
            }
            index = min(index, bytes.count)
            if keyword.elementsEqual("password".utf8) {
                output.append(contentsOf: mask.utf8)
            } else {
                output.append(contentsOf: bytes[valueStart..<index])
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}
