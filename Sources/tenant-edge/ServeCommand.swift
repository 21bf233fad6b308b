import ArgumentParser
import Foundation
import Logging
import TenantEdgeACME
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeMaster
import TenantEdgeServer

/// Runs the proxy: load and validate everything, load the route map, bind, serve, and
/// act on signals until told to stop.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the proxy.")

    @OptionGroup var options: ConfigOption

    /// A binary upgrade runs the new process next to the old one on the same traffic
    /// addresses (`SO_REUSEPORT`), but the admin listener owns its port (no reuse, so a
    /// scrape always reaches the process it names): the new one needs its own address.
    @Option(name: .long, help: ArgumentHelp(
        "Admin listener address (host:port), overriding `admin:` in the config; for a binary upgrade next to a running process.",
        valueName: "host:port"))
    var adminListen: String?

    func validate() throws {
        if let adminListen {
            do {
                _ = try SocketAddressSpec(parsing: adminListen)
            } catch {
                throw ValidationError("--admin-listen: \(error)")
            }
        }
    }

    /// The configuration file with the command line's overrides applied.
    func loadConfig() throws -> EdgeConfig {
        var config = try ConfigLoader.load(path: options.config)
        if let adminListen { config.admin = try SocketAddressSpec(parsing: adminListen) }
        return config
    }

    func run() throws {
        var signals = SignalLoop()
        let config: EdgeConfig
        var settings: ServerSettings
        do {
            config = try loadConfig()
            settings = try SettingsBuilder.build(config)
            if config.accessLog.enabled {
                if case .file(let path) = config.accessLog.destination {
                    settings.accessLog = try AccessLogFile(path: path)
                } else {
                    settings.accessLog = try AccessLogFile(path: nil)
                }
                settings.accessLogSample = config.accessLog.sample
            }
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
        let level = Logger.Level(rawValue: config.log.level.rawValue) ?? .info
        LoggingSystem.bootstrap { label in
            if config.log.format == .json { return JSONLogHandler(label: label, level: level) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "tenant-edge")
        ProcessLimits.raiseOpenFiles(logger: logger)

        let source = RouteSource(config: config, logger: logger)
        let table: RouteTable
        do {
            table = try source.loadInitial()
        } catch {
            printError("\(error)")
            throw ExitCode(1)
        }
        let routes = RouteTableStore(table)
        let lifecycle = Lifecycle()
        // One ring of session ticket keys for the whole process: every worker and every
        // certificate store a reload builds use it, so tickets resume across both.
        let ticketKeys: TicketKeyRing
        do {
            ticketKeys = try TicketKeyRing(rotation: config.tls?.sessionTicketRotation ?? TLSConfig.defaultSessionTicketRotation,
                                           logger: logger)
        } catch {
            printError("cannot start: \(error)")
            throw ExitCode(1)
        }
        let server: EdgeServer
        let admin: AdminServer?
        let issuer: OnDemandCertificates?
        do {
            let fileCertificates = try SettingsBuilder.certificates(config, ticketKeys: ticketKeys, logger: logger)
            let certificates = CertificatePublisher(fileCertificates)
            server = try EdgeServer(settings: settings, routes: routes, certificates: certificates, logger: logger)
            issuer = try OnDemandCertificates.make(config, server: server, base: fileCertificates, ticketKeys: ticketKeys,
                                                logger: logger)
            admin = try startAdmin(config, server: server, source: source, lifecycle: lifecycle, issuer: issuer?.manager, logger: logger)
            try server.start()
            if certificates.current != nil { ticketKeys.startRotating() }
            source.startFeed(routes: routes, control: server.control, routesChanged: issuer?.manager.routesChanged)
            issuer?.manager.start()
        } catch {
            printError("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.info("serving", metadata: [
            "listeners": "\(config.listeners.map { "\($0.protocol.rawValue)://\($0.address)" }.joined(separator: " "))",
            "admin": "\(config.admin.map { "\($0)" } ?? "off")",
            "workers": "\(settings.workers)", "hosts": "\(table.hostCount)", "stores": "\(table.storeCount)"])

        let stopped = DispatchSemaphore(value: 0)
        loop: while true {
            switch signals.next(timeoutMs: lifecycle.isDraining ? 100 : -1) {
            case .reload:
                settings = reload(server: server, running: config, current: settings, ticketKeys: ticketKeys,
                                  issued: issuer?.certificates, logger: logger)
                source.resync()
            case .terminate, .interrupt:
                if lifecycle.isDraining {
                    logger.warning("second stop signal: exiting now")
                    Foundation.exit(0)
                }
                // Unready first, so load balancers stop sending; then stop accepting, let
                // in-flight requests finish up to the deadline, close idle connections.
                lifecycle.beginDrain()
                let seconds = signals.lastEvent == .interrupt ? min(2, config.shutdownTimeout) : config.shutdownTimeout
                logger.info("draining", metadata: ["deadline_s": "\(seconds)"])
                server.control.stop(deadlineMs: Int64(seconds * 1000))
                let handoff = server
                Thread {
                    handoff.waitUntilStopped()
                    stopped.signal()
                }.start()
            case .reopenLogs:
                // Log rotation: the file was moved away; write to a new one at the same path.
                do {
                    try settings.accessLog?.reopen()
                    logger.info("access log reopened")
                } catch {
                    logger.error("cannot reopen the access log", metadata: ["error": "\(error)"])
                }
            case nil:
                if stopped.wait(timeout: .now()) == .success { break loop }
            }
        }
        admin?.stop()
        issuer?.manager.stop()
        logger.info("stopped")
    }

    /// The admin listener (health, readiness, metrics, route lookups, JWKS) on its own
    /// thread, so that scrapes never touch a worker.
    private func startAdmin(
        _ config: EdgeConfig, server: EdgeServer, source: RouteSource, lifecycle: Lifecycle,
        issuer: CertificateManager?, logger: Logger
    ) throws -> AdminServer? {
        guard let spec = config.admin else { return nil }
        let address = try SocketAddress.resolve(host: spec.host, port: Int(spec.port))
        let routes = server.routes
        let status = source.status
        var sources = AdminSources(
            routes: routes, counters: server.counters, latency: server.latency,
            readiness: {
                if lifecycle.isDraining { return (false, "draining") }
                let feed = status.current
                if !feed.ready { return (false, feed.degradedReason ?? "route map not loaded") }
                return (true, feed.degradedReason)
            },
            routeStatus: {
                let feed = status.current
                let table = routes.current
                return RouteMapStatus(
                    generation: table.generation, hosts: table.hostCount, stores: table.storeCount,
                    ageSeconds: feed.syncAge() ?? 0, lastSequence: feed.lastAppliedSequence,
                    reconnects: UInt64(feed.reconnects), notifications: UInt64(feed.notificationsReceived),
                    servingFromSnapshot: feed.degradedReason != nil)
            },
            jwks: { [publisher = server.settingsPublisher] in publisher.current.jwks },
            bearerToken: config.adminToken?.value)
        sources.memory = server.control.memory
        if let issuer {
            sources.certificateState = { host in issuer.stateJSON(host) }
            sources.extraMetrics = { issuer.metricsText() }
        }
        let admin = try AdminServer(address: address, sources: sources, logger: logger)
        admin.start()
        return admin
    }
}
