import Yams

/// `master_db:`: where the platform's database is and where the last known route map is kept.
///
/// The connection string itself never appears in the file: `url_env` names the environment
/// variable holding it, because it carries a password.
public struct MasterDBConfig: Sendable, Equatable {
    /// Name of the environment variable with the libpq URL or keyword string.
    public var urlEnv: String
    /// The connection string read from `urlEnv` at load time. Secret: log
    /// `DatabaseURLRedactor.redact(url)` instead.
    public var url: String
    /// Where the route map is written after every sync so a restart while the database is down
    /// still routes (DESIGN.md section 4); nil disables the snapshot.
    public var snapshotPath: String?

    public init(urlEnv: String = "MASTER_DB_URL", url: String, snapshotPath: String? = nil) {
        self.urlEnv = urlEnv
        self.url = url
        self.snapshotPath = snapshotPath
    }
}

/// Printing or dumping a config must not leak the password.
extension MasterDBConfig: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String {
        "MasterDBConfig(urlEnv: \(urlEnv), url: \(DatabaseURLRedactor.redact(url)), snapshotPath: \(snapshotPath ?? "nil"))"
    }

    public var debugDescription: String { description }

    public var customMirror: Mirror {
        Mirror(self, children: ["urlEnv": urlEnv, "url": DatabaseURLRedactor.redact(url),
                                "snapshotPath": snapshotPath as Any])
    }
}

extension MasterDBConfig {
    static func read(_ node: Node?, at path: String, line: Int?, _ reader: ConfigReader) -> MasterDBConfig? {
        var urlEnv: String? = "MASTER_DB_URL"
        var urlEnvNode: Node?
        var snapshotPath: String?
        var snapshotValid = true
        if let node {
            guard let map = reader.mapping(node, at: path, keys: ["url_env", "snapshot_path"]) else { return nil }
            if let value = map["url_env"] {
                urlEnvNode = value
                urlEnv = reader.string(value, at: map.path("url_env"))
            }
            if let value = map["snapshot_path"] {
                snapshotPath = reader.filePath(value, at: map.path("snapshot_path"))
                snapshotValid = snapshotPath != nil
            }
        }
        guard let urlEnv else { return nil }
        let url = reader.secret(nameNode: urlEnvNode, name: urlEnv, at: ConfigMapping.join(path, "url_env"),
                                line: node?.mark?.line ?? line)
        guard let url, snapshotValid else { return nil }
        return MasterDBConfig(urlEnv: urlEnv, url: url, snapshotPath: snapshotPath)
    }
}
