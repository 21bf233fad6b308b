import CLibPQ

/// What this module needs to know about a connection string without ever repeating it: the
/// password (to scrub it from libpq's messages) and the host and port (to say where a failed
/// connection was going).
struct ConnectionOptions {
    var password: String?
    var host: String?
    var hostAddress: String?
    var port: String?

    /// Parses with libpq's own parser (`PQconninfoParse`), so URL and keyword forms are read
    /// exactly as `PQconnectdbParams` will read them.
    static func parse(_ conninfo: String) throws(MasterDBError) -> ConnectionOptions {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            var detail = "libpq could not parse it"
            if let errorMessage {
                detail = LibPQText.firstLine(String(cString: errorMessage), hiding: nil, quotedFragmentsHidden: true)
                PQfreemem(errorMessage)
            }
            throw MasterDBError(code: .invalidConnectionString, endpoint: nil, detail: detail)
        }
        defer { PQconninfoFree(options) }
        var result = ConnectionOptions()
        var option = options
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                switch String(cString: keyword) {
                case "password": result.password = String(cString: value)
                case "host": result.host = String(cString: value)
                case "hostaddr": result.hostAddress = String(cString: value)
                case "port": result.port = String(cString: value)
                default: break
                }
            }
            option += 1
        }
        return result
    }

    /// `host:port` from the string itself, for failures before libpq knows which host it tried.
    /// Multi-host strings name their first host; unset parts are libpq's defaults.
    var endpoint: String {
        let firstHost = (host ?? hostAddress)?.split(separator: ",").first.map(String.init)
        let firstPort = port?.split(separator: ",").first.map(String.init) ?? "5432"
        return LibPQText.endpoint(host: firstHost ?? "localhost", port: firstPort)
    }
}
