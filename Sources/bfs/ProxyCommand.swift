import ArgumentParser
import BFSLoop
import BFSProxy
import Logging

/// `bfs proxy -c Conf/proxy.toml`: runs the public API until SIGTERM/SIGINT, then drains.
struct ProxyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "proxy", abstract: "Public REST API.")

    @Option(name: .shortAndLong, help: "Config file.") var config: String = "Conf/proxy.toml"
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: Logger.Level = .info

    func run() throws {
        bootstrapLogging(level: logLevel)
        let settings: ProxySettings
        do { settings = try ProxySettings.load(path: config) } catch { throw ValidationError("\(error)") }
        let service = ProxyService(settings: settings)
        try service.start()
        let signum = try waitForTerminationSignal()
        Logger(label: "bfs.proxy").info("signal \(signum): draining")
        service.stop()
    }
}
