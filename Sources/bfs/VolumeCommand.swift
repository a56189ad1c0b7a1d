import ArgumentParser
import BFSStorage
import Glibc

/// `bfs volume check|inspect|dump|fix-index BLOCK [INDEX]`: offline tools on a volume's files
/// (Go bfs volumes too). Only `fix-index` writes, and it replaces the index atomically.
struct VolumeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume", abstract: "Offline tools on volume files.",
        subcommands: [Check.self, Inspect.self, Dump.self, FixIndex.self])

    /// The block file and its index (default: the block path plus `.idx`, bfs's naming).
    struct Files: ParsableArguments {
        @Argument(help: "Block file.") var block: String
        @Argument(help: "Index file (default: <block>.idx).") var index: String?
        @Option(help: "Largest needle data size to accept while scanning (bytes).") var needleMaxSize: Int = 10 << 20
        @Flag(help: "Show a progress bar on standard error.") var progress = false

        var indexPath: String { index ?? block + ".idx" }
        var settings: VolumeSettings {
            var s = VolumeSettings()
            s.needleMaxSize = needleMaxSize
            return s
        }
        func bar() -> ProgressBar { ProgressBar(enabled: progress || isatty(2) != 0) }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Verify every needle and the index; exit 1 on damage.")
        @OptionGroup var files: Files
        func run() throws {
            let bar = files.bar()
            let problems = try VolumeTools.checkVolume(blockPath: files.block, indexPath: files.indexPath,
                                                       settings: files.settings, progress: bar.update)
            bar.finish()
            if problems.isEmpty {
                print("ok: \(files.block)")
            } else {
                problems.forEach { print($0) }
                throw ExitCode(1)
            }
        }
    }

    struct Inspect: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Summarise the volume.")
        @OptionGroup var files: Files
        func run() throws {
            let bar = files.bar()
            let i = try VolumeTools.inspectVolume(blockPath: files.block, indexPath: files.indexPath,
                                                  settings: files.settings, progress: bar.update)
            bar.finish()
            print("""
                block:           \(files.block) (\(i.blockSize) bytes, version \(i.version))
                needles:         \(i.needles) (\(i.deletedNeedles) deleted, \(i.supersededNeedles) superseded)
                live data:       \(i.liveDataBytes) bytes
                index:           \(files.indexPath) (\(i.indexRecords) records, \(i.plausibleIndexRecords) plausible, \(i.mismatchedIndexRecords) mismatched)
                damaged needles: \(i.damagedOffsets.count)\(i.damagedOffsets.isEmpty ? "" : " at " + i.damagedOffsets.map(String.init).joined(separator: ","))
                torn tail:       \(i.tornOffset.map { "at byte \($0)" } ?? "no")
                healthy:         \(i.isHealthy ? "yes" : "no")
                """)
        }
    }

    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every valid needle: offset key cookie flag size.")
        @OptionGroup var files: Files
        @Option(help: "Stop after this many needles.") var limit: Int?
        func run() throws {
            var left = limit ?? Int.max
            print("offset\tkey\tcookie\tflag\tsize")
            try VolumeTools.dumpVolume(blockPath: files.block, settings: files.settings) { n in
                print("\(n.offset)\t\(n.header.key)\t\(n.header.cookie)\t\(n.header.isDeleted ? "deleted" : "ok")\t\(n.header.dataSize)")
                left -= 1
                return left > 0
            }
        }
    }

    struct FixIndex: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fix-index", abstract: "Rebuild the index from the block (atomically replaced).")
        @OptionGroup var files: Files
        func run() throws {
            let bar = files.bar()
            let n = try VolumeTools.fixIndex(blockPath: files.block, indexPath: files.indexPath,
                                             settings: files.settings, progress: bar.update)
            bar.finish()
            print("wrote \(n) index records to \(files.indexPath)")
        }
    }
}

/// A one-line progress bar on standard error, redrawn only when the percentage changes.
final class ProgressBar {
    private let enabled: Bool
    private var lastPercent = -1

    init(enabled: Bool) { self.enabled = enabled }

    func update(_ done: Int64, _ total: Int64) {
        guard enabled, total > 0 else { return }
        let percent = Int(min(100, done * 100 / total))
        guard percent != lastPercent else { return }
        lastPercent = percent
        let filled = percent * 40 / 100
        let line = "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: 40 - filled)
            + "] \(percent)% \(done >> 20)/\(total >> 20) MiB"
        _ = line.withCString { write(2, $0, strlen($0)) }
    }

    func finish() {
        guard enabled, lastPercent >= 0 else { return }
        _ = "\n".withCString { write(2, $0, 1) }
    }
}
