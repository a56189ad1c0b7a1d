import Synchronization
import Testing
@testable import BFSClient

@Suite struct ProgressTests {
    @Test func rendersBarBytesPercentAndRate() {
        let line = ProgressRenderer(width: 80).render(label: "cat.jpg", bytes: 3 << 19, total: 3 << 20, elapsed: 0.5)
        #expect(line == "cat.jpg  [" + String(repeating: "=", count: 15) + ">" + String(repeating: " ", count: 17)
            + "]  1.5 MiB / 3.0 MiB   50%  3.0 MiB/s")
        #expect(line.count == 80)
    }

    @Test func completeAndEmptyBars() {
        let renderer = ProgressRenderer(width: 60)
        let done = renderer.render(label: "a", bytes: 2048, total: 2048, elapsed: 1)
        #expect(done.contains("[" + String(repeating: "=", count: 19) + "]"))
        #expect(done.contains("2.0 KiB / 2.0 KiB  100%  2.0 KiB/s"))
        let start = renderer.render(label: "a", bytes: 0, total: 2048, elapsed: 0)
        #expect(start.contains("[" + String(repeating: " ", count: 27) + "]"))
        #expect(start.contains("0 B / 2.0 KiB    0%  0 B/s"))
    }

    @Test func narrowTerminalsDropTheBarAndUnknownTotalsDropPercent() {
        let narrow = ProgressRenderer(width: 44).render(label: "cat.jpg", bytes: 1 << 20, total: 2 << 20, elapsed: 1)
        #expect(narrow == "cat.jpg  1.0 MiB / 2.0 MiB   50%  1.0 MiB/s ")
        let tiny = ProgressRenderer(width: 20).render(label: "cat.jpg", bytes: 1 << 20, total: 2 << 20, elapsed: 1)
        #expect(tiny == "cat.jpg  1.0 MiB / 2")
        let unknown = ProgressRenderer(width: 40).render(label: "-", bytes: 5 << 20, total: nil, elapsed: 2)
        #expect(unknown == "-  5.0 MiB  2.5 MiB/s" + String(repeating: " ", count: 19))
    }

    @Test func sizes() {
        #expect(ProgressRenderer.size(0) == "0 B")
        #expect(ProgressRenderer.size(1023) == "1023 B")
        #expect(ProgressRenderer.size(1024) == "1.0 KiB")
        #expect(ProgressRenderer.size(1536) == "1.5 KiB")
        #expect(ProgressRenderer.size(3 << 30) == "3.0 GiB")
    }

    @Test func drawsAtMostOncePerIntervalThenAFinalLine() {
        let now = Atomic<UInt64>(0)
        let drawn = Mutex<[String]>([])
        let reporter = ProgressReporter(label: "f", total: 1000, width: 50, interval: 100,
                                        clock: { now.load(ordering: .relaxed) },
                                        output: { line in drawn.withLock { $0.append(line) } })
        reporter.advance(by: 100)  // first drawing at once
        now.store(50, ordering: .relaxed)
        reporter.advance(by: 100)  // too soon
        now.store(99, ordering: .relaxed)
        reporter.advance(by: 100)  // still too soon
        now.store(150, ordering: .relaxed)
        reporter.advance(by: 100)  // 150 after the first: drawn
        reporter.finish()
        reporter.finish()
        reporter.advance(by: 100)  // after the end: counted, not drawn
        let lines = drawn.withLock { $0 }
        #expect(lines.count == 3)
        #expect(lines.allSatisfy { $0.hasPrefix("\r") })
        #expect(lines[0].contains(" 10%"))
        #expect(lines[1].contains(" 40%"))
        #expect(lines[2].hasSuffix("\n") && lines[2].contains(" 40%"))
        #expect(reporter.bytes == 500)
    }

    @Test func shownOnlyForLargeTransfersOnATerminalOrWhenForced() {
        #expect(ProgressReporter.isWanted(total: 2 << 20, standardErrorIsTerminal: true, forced: false))
        #expect(!ProgressReporter.isWanted(total: 1 << 20, standardErrorIsTerminal: true, forced: false))
        #expect(!ProgressReporter.isWanted(total: 2 << 20, standardErrorIsTerminal: false, forced: false))
        #expect(ProgressReporter.isWanted(total: 10, standardErrorIsTerminal: false, forced: true))
        #expect(ProgressReporter.isWanted(total: nil, standardErrorIsTerminal: true, forced: false))
    }
}
