import Logging
import TenantEdgeConfig
import TenantEdgeServer

extension ServeCommand {
    /// SIGHUP: re-read the configuration file and the certificates it names, validate all
    /// of it, and only then publish the new settings and certificate store to the workers;
    /// if anything is wrong, log exactly what and keep everything as it was. Connections
    /// already open are never dropped: listeners are opened and closed to match, and
    /// exchanges in flight finish with what they started with.
    func reload(server: EdgeServer, running: EdgeConfig, current: ServerSettings, ticketKeys: TicketKeyRing,
                issued: IssuedCertificates?, logger: Logger) -> ServerSettings {
        do {
            let config = try loadConfig()
            var settings = try SettingsBuilder.build(config)
            let store = try SettingsBuilder.certificates(config, ticketKeys: ticketKeys, logger: logger)
            // Kept from the running process: the worker count, the access log file (reopened
            // by SIGUSR1, not by reload) and where the admin listener and database are.
            settings.workers = current.workers
            settings.accessLog = current.accessLog
            settings.accessLogSample = config.accessLog.sample
            for (key, changed) in [("workers", config.workers != running.workers), ("admin", config.admin != running.admin),
                                   ("master_db", config.masterDB != running.masterDB), ("acme", config.acme != running.acme),
                                   ("tls.session_ticket_rotation",
                                    config.tls?.sessionTicketRotation != running.tls?.sessionTicketRotation)] where changed {
                logger.warning("reload: this setting needs a restart and was not changed", metadata: ["key": "\(key)"])
            }
            server.control.setMaxConnections(settings.maxConnections)
            server.control.memory.setLimit(bytes: settings.maxMemoryBytes)
            if let issued {
                issued.replaceBase(store)
            } else {
                server.certificates.publish(store)
            }
            if store != nil { ticketKeys.startRotating() }   // https listeners may be new
            server.settingsPublisher.publish(settings)
            server.control.wakeAll()
            logger.info("configuration reloaded", metadata: [
                "listeners": "\(settings.listeners.count)", "upstreams": "\(settings.upstreams.count)",
                "certificates": "\(store?.count ?? 0)"])
            return settings
        } catch {
            logger.error("reload rejected; keeping the running configuration", metadata: ["error": "\(error)"])
            return current
        }
    }
}
