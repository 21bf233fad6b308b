#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ChangeFeedRunner {
    /// Sleeps in `poll()` on the libpq socket and the wake pipe until something arrives or
    /// `until` passes: no busy loop, and a notification is seen the moment it lands.
    func wait(until deadline: Int64?) -> ChangeFeedStateMachine.Event? {
        // Notifications can already sit in libpq's buffer (read along with a query result);
        // the socket would not show them as readable.
        if connection != nil, let event = drainNotifications() { return event }
        var descriptors = [pollfd(fd: control.wake.readDescriptor, events: Int16(POLLIN), revents: 0)]
        if let connection { descriptors.append(pollfd(fd: connection.socketDescriptor, events: Int16(POLLIN), revents: 0)) }
        var timeout: Int32 = -1
        if let deadline {
            let remaining = max(0, deadline - Self.now())
            timeout = Int32(min(Int64(Int32.max), (remaining + 999_999) / 1_000_000))
        }
        let ready = poll(&descriptors, nfds_t(descriptors.count), timeout)
        guard ready > 0 else { return nil }
        if descriptors[0].revents != 0 { control.wake.drain() }
        if descriptors.count > 1, descriptors[1].revents != 0 { return drainNotifications() }
        return nil
    }

    /// Reads what the server sent; nil when no notification arrived.
    private func drainNotifications() -> ChangeFeedStateMachine.Event? {
        guard let connection else { return nil }
        let received: [PostgresNotification]
        do {
            received = try connection.notifications()
        } catch {
            logger.error("master database connection lost; serving the current map and reconnecting",
                         metadata: ["error": "\(error)"])
            lastFailure = "\(error)"
            self.connection = nil
            refreshStatus()
            return .failed
        }
        guard !received.isEmpty else { return nil }
        var changes = 0
        var probeEchoed = false
        var counted = 0
        let ownProcess = connection.backendProcessID
        for notification in received where notification.channel == Self.channel {
            if notification.payload == probeToken, notification.senderProcessID == ownProcess {
                probeEchoed = true
                continue
            }
            guard let sequence = Int64(notification.payload) else { continue }
            counted += 1
            if cursor.noteNotified(sequence) { changes += 1 }
        }
        if counted > 0 { status.update { $0.notificationsReceived += counted } }
        if probeEchoed, machine.mode == .polling {
            logger.info("LISTEN/NOTIFY works on this connection again; stopped polling the change log")
        }
        return .notificationsReceived(changes: changes, probeEchoed: probeEchoed)
    }
}
