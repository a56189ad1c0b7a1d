import ArgumentParser
import BFSLoop
import BFSUp
import Glibc
import Logging

/// `bfs up`: the single-node all-in-one, ready for uploads in seconds.
struct UpCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "up", abstract: "Single-node all-in-one.")

    @Option(name: .shortAndLong, help: "Config file (default: built-in settings).") var config: String?
    @Option(help: "Data directory (overrides the config).") var data: String?
    @Option(help: "Log level.") var logLevel: Logger.Level = .info

    func run() throws {
        bootstrapLogging(level: logLevel)
        var settings: UpSettings
        do { settings = try UpSettings.load(path: config) } catch { throw ValidationError("\(error)") }
        if let data { settings.dataDir = data }
        let node = try SingleNode(settings: settings)
        let started = try node.start()
        let ports = started.store
        let api = "http://\(settings.host):\(ports.api)"
        let directory = "http://\(settings.host):\(started.directory)"
        let token = "$(cat \(settings.dataDir)/\(ClusterTokenFile.name))"
        print("""
            bfs up: ready (data in \(settings.dataDir))
              bucket:     \(started.bucket.name)  key id \(started.bucket.keyID)  secret \(started.bucket.secret)
              directory:  curl -H "Authorization: Bearer \(token)" -d bucket=default -d filename=a.jpg -d mime=image/jpeg \(directory)/allocate
                          (then write the needle to each store below, and POST \(directory)/commit)
                          curl '\(directory)/get?bucket=default&filename=a.jpg'
              store:      curl -F vid=1 -F key=1 -F cookie=42 -F file=@photo.jpg \(api)/upload
                          curl '\(api)/get?vid=1&key=1&cookie=42' -o photo.jpg
                          curl -d vid=1 -d key=1 \(api)/del
              stats:      curl http://\(settings.host):\(ports.stat)/info
              health:     curl http://\(settings.host):\(started.pitchfork)/stores
              admin:      curl -H "Authorization: Bearer \(token)" -d vid=3 http://\(settings.host):\(ports.admin)/add_volume
            """)
        fflush(nil)  // the banner must reach a piped log before the process waits
        let signum = try waitForTerminationSignal()
        Logger(label: "bfs.up").info("signal \(signum): draining")
        node.stop()
    }
}
