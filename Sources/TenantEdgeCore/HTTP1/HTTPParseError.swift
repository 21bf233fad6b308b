/// Why a head or chunked body was rejected, and the status to answer with.
///
/// A struct with static members rather than an enum (as postgres-nio's `PSQLError`), so new
/// rejections don't break callers' switches. `reason` is always a string literal: creating an
/// error allocates nothing, which matters because rejecting junk is itself a hot path under attack.
/// Every rejection means "answer `status` and close": after a framing error the byte stream
/// can no longer be trusted (RFC 9112 section 6.3).
public struct HTTPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    public var status: Int
    public var reason: String

    public init(status: Int, reason: String) {
        self.status = status
        self.reason = reason
    }

    public var description: String { "\(status) \(reason)" }

    // MARK: Request line

    public static let invalidMethod = Self(status: 400, reason: "invalid method token")
    public static let invalidTarget = Self(status: 400, reason: "invalid request-target")
    /// A reverse proxy must not open tunnels for clients.
    public static let connectNotSupported = Self(status: 501, reason: "CONNECT is not supported")
    public static let invalidVersion = Self(status: 400, reason: "malformed HTTP version")
    public static let unsupportedVersion = Self(status: 505, reason: "HTTP version not supported")
    public static let requestLineTooLong = Self(status: 414, reason: "request line too long")

    // MARK: Field lines

    /// RFC 9112 section 5.2: a server must reject obs-fold (or rewrite it); we reject.
    public static let obsFold = Self(status: 400, reason: "obsolete line folding")
    /// RFC 9112 section 5.1: whitespace between name and colon must be rejected (smuggling).
    public static let whitespaceBeforeColon = Self(status: 400, reason: "whitespace before colon")
    public static let invalidFieldName = Self(status: 400, reason: "invalid field name")
    public static let invalidFieldValue = Self(status: 400, reason: "control character in field value")
    public static let bareCR = Self(status: 400, reason: "bare CR")
    public static let bareLF = Self(status: 400, reason: "bare LF line ending")
    public static let headTooLarge = Self(status: 431, reason: "request header too large")
    public static let tooManyFields = Self(status: 431, reason: "too many header fields")

    // MARK: Host and framing

    public static let missingHost = Self(status: 400, reason: "missing Host")
    public static let multipleHosts = Self(status: 400, reason: "more than one Host")
    public static let invalidHost = Self(status: 400, reason: "invalid Host")
    public static let contentLengthWithTransferEncoding = Self(
        status: 400, reason: "both Content-Length and Transfer-Encoding")
    public static let invalidContentLength = Self(status: 400, reason: "invalid Content-Length")
    public static let unsupportedTransferCoding = Self(status: 501, reason: "unsupported transfer coding")
    public static let chunkedNotFinal = Self(status: 400, reason: "chunked is not the final transfer coding")
    public static let invalidTransferEncoding = Self(status: 400, reason: "malformed Transfer-Encoding")
    /// RFC 9112 section 6.1: Transfer-Encoding in an HTTP/1.0 message means faulty framing.
    public static let transferEncodingInHTTP10 = Self(status: 400, reason: "Transfer-Encoding in HTTP/1.0")

    // MARK: Chunked bodies (a proxy maps these to 502 when the body came from upstream)

    public static let invalidChunkSize = Self(status: 400, reason: "invalid chunk size")
    public static let chunkSizeOverflow = Self(status: 400, reason: "chunk size too large")
    public static let chunkExtensionTooLong = Self(status: 400, reason: "chunk extension too long")
    public static let invalidChunkExtension = Self(status: 400, reason: "invalid chunk extension")
    public static let invalidChunkFraming = Self(status: 400, reason: "missing CRLF in chunked body")
    public static let trailerTooLarge = Self(status: 400, reason: "chunked trailer too large")
    public static let invalidTrailer = Self(status: 400, reason: "invalid chunked trailer field")

    // MARK: Upstream responses (all 502: the backend, not the client, is at fault)

    public static let invalidStatusLine = Self(status: 502, reason: "invalid upstream status line")
    public static let unsupportedResponseVersion = Self(status: 502, reason: "unsupported upstream HTTP version")
    public static let invalidResponseHead = Self(status: 502, reason: "malformed upstream response head")
    public static let responseHeadTooLarge = Self(status: 502, reason: "upstream response head too large")
    public static let invalidResponseFraming = Self(status: 502, reason: "ambiguous upstream response framing")
}
