/// Why a PROXY protocol header was refused; the connection is closed and this is logged.
///
/// A struct over private codes (as postgres-nio's `PSQLError`) so that new reasons can be
/// added without breaking a caller's exhaustive switch.
public struct ProxyProtocolError: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Code: UInt8, Sendable, Hashable {
        case missingSignature, v1TooLong, v1Malformed, v1UnknownProtocol, v1BadAddress, v1BadPort
        case v2BadVersion, v2BadCommand, v2BadFamily, v2TooLong, v2AddressTooShort, v2BadTLV, v2ChecksumMismatch
    }

    private let code: Code

    private init(_ code: Code) { self.code = code }

    /// The connection started with neither the v1 text nor the v2 binary signature.
    public static let missingSignature = ProxyProtocolError(.missingSignature)
    /// No CRLF within the 107 bytes the v1 specification allows.
    public static let v1TooLong = ProxyProtocolError(.v1TooLong)
    /// Wrong separators, field count or characters in the v1 line.
    public static let v1Malformed = ProxyProtocolError(.v1Malformed)
    /// A v1 protocol other than TCP4, TCP6 or UNKNOWN.
    public static let v1UnknownProtocol = ProxyProtocolError(.v1UnknownProtocol)
    /// A v1 address that is not a valid literal of the family TCP4/TCP6 announced.
    public static let v1BadAddress = ProxyProtocolError(.v1BadAddress)
    /// A v1 port that is not a decimal 0...65535 without leading zeros.
    public static let v1BadPort = ProxyProtocolError(.v1BadPort)
    /// The v2 version nibble is not 2.
    public static let v2BadVersion = ProxyProtocolError(.v2BadVersion)
    /// The v2 command is neither LOCAL nor PROXY.
    public static let v2BadCommand = ProxyProtocolError(.v2BadCommand)
    /// An unassigned v2 address family or transport, or a datagram transport on a stream.
    public static let v2BadFamily = ProxyProtocolError(.v2BadFamily)
    /// The v2 length exceeds what the parser accepts (`ProxyProtocolParser.maximumV2Length`).
    public static let v2TooLong = ProxyProtocolError(.v2TooLong)
    /// The v2 length is shorter than the address block of its family.
    public static let v2AddressTooShort = ProxyProtocolError(.v2AddressTooShort)
    /// A v2 TLV that runs past the header, or a known TLV with an impossible length.
    public static let v2BadTLV = ProxyProtocolError(.v2BadTLV)
    /// The v2 PP2_TYPE_CRC32C value does not match the header.
    public static let v2ChecksumMismatch = ProxyProtocolError(.v2ChecksumMismatch)

    public var description: String {
        switch code {
        case .missingSignature: "no PROXY protocol header"
        case .v1TooLong: "PROXY v1 line longer than 107 bytes"
        case .v1Malformed: "malformed PROXY v1 line"
        case .v1UnknownProtocol: "PROXY v1 protocol is not TCP4, TCP6 or UNKNOWN"
        case .v1BadAddress: "invalid address in PROXY v1 line"
        case .v1BadPort: "invalid port in PROXY v1 line"
        case .v2BadVersion: "PROXY v2 header with a version other than 2"
        case .v2BadCommand: "PROXY v2 command is neither LOCAL nor PROXY"
        case .v2BadFamily: "PROXY v2 address family or transport not allowed"
        case .v2TooLong: "PROXY v2 header too long"
        case .v2AddressTooShort: "PROXY v2 length shorter than its address block"
        case .v2BadTLV: "malformed PROXY v2 TLV"
        case .v2ChecksumMismatch: "PROXY v2 CRC32C mismatch"
        }
    }
}
