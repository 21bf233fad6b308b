import COpenSSL
import Foundation
import Logging

/// The process's session ticket keys: one ring shared by every SSL_CTX (all workers, and
/// every certificate store a SIGHUP builds), so a ticket resumes on any worker and across
/// reloads. A new random key is made every `rotation`; the one before still decrypts (and
/// its tickets are renewed), the one before that is forgotten, so a key lives two periods
/// and that is also the session lifetime.
///
/// Invariants: `ring` is allocated in init and freed in deinit; it outlives every SSL_CTX
/// that points at it because each CertificateStore holds this object. Readers are the
/// ticket callbacks on worker threads, the one writer is the rotation thread: see the
/// sequence lock in COpenSSL/ticket_keys.h.
public final class TicketKeyRing: @unchecked Sendable {
    // Sendable: `ring` is only touched through the C functions, which are thread-safe for
    // many readers and the single rotation thread; the other stored properties are lets.
    let ring: UnsafeMutablePointer<te_ticket_keys>
    public let rotation: Double
    private let logger: Logger?
    private let started = NSLock()
    private var rotating = false
    /// Bytes in a key name (ticket_keys.h).
    static let nameLength = 16

    /// Twelve hours, as `tls.session_ticket_rotation` defaults to.
    public static let defaultRotation: Double = 12 * 3600

    public struct CreateError: Error, CustomStringConvertible {
        public var description: String { "cannot create session ticket keys (random generator failed)" }
    }

    public init(rotation: Double = TicketKeyRing.defaultRotation, logger: Logger? = nil) throws(CreateError) {
        guard let ring = te_ticket_keys_new() else { throw CreateError() }
        self.ring = ring
        self.rotation = rotation
        self.logger = logger
    }

    deinit { te_ticket_keys_free(ring) }

    /// Whole seconds a session may be resumed: two periods, at least one second.
    var lifetimeSeconds: Int { max(1, Int((rotation * 2).rounded(.up))) }

    /// Points `context`'s ticket callback at this ring (see te_ssl_ctx_use_ticket_keys).
    func install(on context: OpaquePointer) {
        te_ssl_ctx_use_ticket_keys(context, ring, lifetimeSeconds)
    }

    /// A new current key; the current one becomes the previous one. Only the rotation
    /// thread calls this (the sequence lock has a single writer).
    private func rotate() -> Bool {
        te_ticket_keys_rotate(ring) == 1
    }

    /// Starts the rotation thread (once; later calls do nothing). It runs for the life of
    /// the process, which owns the ring; a process without https listeners never starts it.
    public func startRotating() {
        started.lock()
        defer { started.unlock() }
        guard !rotating else { return }
        rotating = true
        let thread = Thread { [self] in
            var rotations = 0
            while true {
                Thread.sleep(forTimeInterval: rotation)
                if rotate() {
                    rotations += 1
                    logger?.info("session ticket keys rotated", metadata: [
                        "rotation": "\(rotations)", "key": "\(currentKeyName.prefix(8))"])
                } else {
                    logger?.error("session ticket key rotation failed; keeping the current keys")
                }
            }
        }
        thread.name = "ticket-keys"
        thread.start()
    }

    /// 1: the name of the current key, 2: of the previous one, 0: unknown or expired.
    public func slot(ofKeyNamed name: [UInt8]) -> Int {
        guard name.count == Self.nameLength else { return 0 }
        return Int(te_ticket_keys_find(ring, name))
    }

    /// The current key's name in hex (it is sent in clear inside every ticket).
    public var currentKeyName: String {
        var name = [UInt8](repeating: 0, count: Self.nameLength)
        te_ticket_keys_current_name(ring, &name)
        return name.map { String(format: "%02x", $0) }.joined()
    }
}
