import Yams

/// The bearer token the admin listener requires (`admin_token_env`), read from the
/// environment because the file ends up in repositories and CI logs.
public struct AdminToken: Sendable, Equatable {
    /// Name of the environment variable, for messages.
    public var environmentVariable: String
    /// The token; never printed.
    public var value: String

    public init(environmentVariable: String, value: String) {
        self.environmentVariable = environmentVariable
        self.value = value
    }
}

/// Printing or dumping a config must not leak the token.
extension AdminToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "AdminToken(environmentVariable: \(environmentVariable), value: ***)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror { Mirror(self, children: ["environmentVariable": environmentVariable, "value": "***"]) }
}

extension AdminToken {
    static func read(_ node: Node, at path: String, _ reader: ConfigReader) -> AdminToken? {
        guard let name = reader.string(node, at: path),
              let value = reader.secret(nameNode: node, name: name, at: path, line: node.mark?.line)
        else { return nil }
        // RFC 6750 section 2.1 (b64token): anything else could not be sent in the header.
        let valid = !value.isEmpty && value.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || [UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "+"),
                    UInt8(ascii: "/"), UInt8(ascii: "=")].contains(byte)
        }
        guard valid else {
            reader.report(path, node, "the token in \(name) must be letters, digits and -._~+/= only (RFC 6750 bearer token)")
            return nil
        }
        return AdminToken(environmentVariable: name, value: value)
    }
}
