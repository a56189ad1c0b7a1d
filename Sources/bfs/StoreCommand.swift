import ArgumentParser
import BFSCore
import BFSLoop
import BFSStore
import Logging

/// `bfs store -c Conf/store.toml`: runs a store until SIGTERM/SIGINT, then drains.
struct StoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "store", abstract: "Hold volumes and serve needles.")

    @Option(name: .shortAndLong, help: "Config file.") var config: String = "Conf/store.toml"
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: Logger.Level = .info

    func run() throws {
        bootstrapLogging(level: logLevel)
        let settings: StoreSettings
        do { settings = try StoreSettings.load(path: config) } catch { throw ValidationError("\(error)") }
        let service = StoreService(settings: settings)
        try service.start()
        let signum = try waitForTerminationSignal()
        Logger(label: "bfs.store").info("signal \(signum): draining")
        service.stop()
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// Sends every log line to standard error at `level` and above.
func bootstrapLogging(level: Logger.Level) {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
}
