import ArgumentParser
import BFSDirectory
import BFSLoop
import Logging

/// `bfs directory -c Conf/directory.toml`: runs a directory until SIGTERM/SIGINT, then drains.
struct DirectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "directory", abstract: "Placement and metadata.")

    @Option(name: .shortAndLong, help: "Config file.") var config: String = "Conf/directory.toml"
    @Option(help: "Log level (trace, debug, info, notice, warning, error, critical).") var logLevel: Logger.Level = .info

    func run() throws {
        bootstrapLogging(level: logLevel)
        let settings: DirectorySettings
        do { settings = try DirectorySettings.load(path: config) } catch { throw ValidationError("\(error)") }
        let service = DirectoryService(settings: settings)
        try service.start()
        let signum = try waitForTerminationSignal()
        Logger(label: "bfs.directory").info("signal \(signum): draining")
        service.stop()
    }
}
