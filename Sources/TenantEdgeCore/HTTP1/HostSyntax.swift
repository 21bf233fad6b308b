/// The parser's own syntactic check of a Host value or absolute-form authority.
///
/// Deliberately minimal: `hostname[:port]` or `[IPv6]:port`, so that garbage (userinfo '@',
/// paths, spaces, non-ASCII) is refused at the door with 400 (RFC 9112 section 3.2). Label
/// rules, lengths, lowercasing and IP-literal detection belong to `HostNormalizer` in Routing,
/// which the router applies to whatever passes here.
enum HostSyntax {
    static func isValid(_ buffer: UnsafeRawBufferPointer, _ start: Int, _ end: Int) -> Bool {
        guard start < end else { return false }
        var i = start
        if buffer[i] == 0x5B {  // '[' IPv6 literal
            i &+= 1
            let inner = i
            while i < end {
                let b = buffer[i]
                guard ByteClass.hexValue(b) != nil || b == 0x3A || b == 0x2E else { break }
                i &+= 1
            }
            guard i > inner, i < end, buffer[i] == 0x5D else { return false }
            i &+= 1
        } else {
            while i < end, ByteClass.isHostChar(buffer[i]) { i &+= 1 }
            guard i > start else { return false }
        }
        if i == end { return true }
        guard buffer[i] == 0x3A else { return false }
        i &+= 1
        let portStart = i
        var port = 0
        while i < end, ByteClass.isDigit(buffer[i]), i &- portStart < 5 {
            port = port &* 10 &+ Int(buffer[i] &- 0x30)
            i &+= 1
        }
        return i == end && i > portStart && port <= 65535
    }
}
