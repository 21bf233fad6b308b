import ArgumentParser
import Foundation
import Logging
import TenantEdgeConfig
import TenantEdgeCore
import TenantEdgeMaster
import TenantEdgeServer

/// Runs the proxy: load and validate everything, load the route map, bind, serve, and
/// act on signals until told to stop.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the proxy.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        let signals = SignalLoop()
        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "tenant-edge")
        logger.logLevel = .info

        let config: EdgeConfig
        let settings: ServerSettings
        do {
            config = try ConfigLoader.load(path: options.config)
            settings = try SettingsBuilder.build(config)
        } catch {
            printError("\(error)")
            throw ExitCode(2)
        }
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
        let server: EdgeServer
        do {
            let certificates = CertificatePublisher(try SettingsBuilder.certificates(config, logger: logger))
            server = try EdgeServer(settings: settings, routes: routes, certificates: certificates, logger: logger)
            try server.start()
        } catch {
            printError("cannot start: \(error)")
            throw ExitCode(1)
        }
        logger.info("serving", metadata: [
            "listeners": "\(config.listeners.map { "\($0.protocol.rawValue)://\($0.address)" }.joined(separator: " "))",
            "workers": "\(settings.workers)", "hosts": "\(table.hostCount)", "stores": "\(table.storeCount)"])

        loop: while true {
            switch signals.next() {
            case .reload:
                reloadCertificates(into: server.certificates, logger: logger)
                if let newTable = source.reload(previous: routes.current) {
                    routes.publish(newTable)
                    server.control.wakeAll()
                }
            case .terminate:
                logger.info("SIGTERM: draining", metadata: ["deadline_s": "30"])
                server.control.stop(deadlineMs: 30_000)
                break loop
            case .interrupt:
                logger.info("SIGINT: stopping", metadata: ["deadline_s": "2"])
                server.control.stop(deadlineMs: 2_000)
                break loop
            case .reopenLogs:
                continue
            }
        }
        server.waitUntilStopped()
        logger.info("stopped")
    }
}
