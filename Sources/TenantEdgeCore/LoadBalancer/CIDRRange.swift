/// One `trusted_proxies` entry: an IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`,
/// `2001:db8::/32`), or a single address.
///
/// Held as a 128-bit prefix and mask over `ClientAddress`'s IPv6 form (IPv4 as
/// `::ffff:0:0/96` plus its prefix), so matching is two ANDs and two compares.
public struct CIDRRange: Sendable, Hashable, CustomStringConvertible {
    public let network: ClientAddress
    /// Prefix length as written: 0...32 for IPv4, 0...128 for IPv6.
    public let prefixLength: Int
    private let maskHigh: UInt64
    private let maskLow: UInt64

    /// Why a text is not a CIDR range, phrased for an operator reading `check-config`.
    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    /// Parses `address/prefix` or a bare address (a single host). A network with bits set
    /// after the prefix (`10.1.0.0/8`) is refused: it usually means a typo in the prefix,
    /// and silently trusting a wider or different range than intended is the worse outcome.
    public init(parsing text: String) throws(ParseError) {
        let bytes = Array(text.utf8)
        let slash = bytes.firstIndex(of: UInt8(ascii: "/"))
        let addressEnd = slash ?? bytes.count
        let parsed = bytes.withUnsafeBytes { IPAddressText.parse($0, 0, addressEnd) }
        guard let address = parsed else {
            throw ParseError(reason: "'\(text)' is not an IPv4 or IPv6 address or CIDR range (for example 10.0.0.0/8 or ::1/128)")
        }
        let maximum = address.family == .ipv4 ? 32 : 128
        var length = maximum
        if let slash {
            let digits = bytes[(slash + 1)...]
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int(String(decoding: digits, as: UTF8.self)), value <= maximum
            else {
                throw ParseError(reason: "'\(text)' has an invalid prefix length (0 to \(maximum) for IPv\(address.family.rawValue))")
            }
            length = value
        }
        self.init(network: address, prefixLength: length)
        guard address.high & maskHigh == address.high, address.low & maskLow == address.low else {
            var normalized = address
            normalized.high &= maskHigh
            normalized.low &= maskLow
            throw ParseError(reason: "'\(text)' has address bits set beyond the /\(length) prefix; "
                                 + "did you mean \(normalized.addressText)/\(length)?")
        }
    }

    /// `network` must have no bits set beyond `prefixLength`.
    public init(network: ClientAddress, prefixLength: Int) {
        var network = network
        network.port = 0
        self.network = network
        self.prefixLength = prefixLength
        let bits = network.family == .ipv4 ? 96 + prefixLength : prefixLength
        maskHigh = bits >= 64 ? .max : (bits == 0 ? 0 : ~UInt64(0) << UInt64(64 - bits))
        maskLow = bits <= 64 ? 0 : (bits == 128 ? .max : ~UInt64(0) << UInt64(128 - bits))
    }

    @inline(__always)
    public func contains(_ address: ClientAddress) -> Bool {
        address.high & maskHigh == network.high && address.low & maskLow == network.low
    }

    public var description: String { "\(network.addressText)/\(prefixLength)" }
}
