import BFSTestSupport
import Foundation
import Glibc
import Testing

/// The README's first steps, as a newcomer takes them: start `bfs up`, paste the commands its
/// banner prints (the `bfs` client with the exported key, then `curl` with a token signed by
/// `openssl`), and get the same bytes back through the proxy.
@Suite(.serialized) struct UpNewcomerTests {
    @Test func bannerCommandsPutAndGetThroughTheProxy() throws {
        let dir = TempDir("up-newcomer")
        defer { dir.remove() }
        let node = try UpNodeConfig(in: dir)
        let up = try BFSProcess(arguments: ["up", "-c", node.path], logPath: dir.file("up.log"))
        defer { up.stop() }
        #expect(waitUntil(seconds: 30) { up.log.contains("proxy metrics") }, "\(up.log)")
        let lines = up.log.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        func line(_ prefix: String) throws -> String {
            try #require(lines.first { $0.hasPrefix(prefix) }, "no `\(prefix)` line in\n\(up.log)")
        }
        // The banner names the running binary by its resolved path.
        let binary = try #require(lines.first { $0.hasPrefix("/") && $0.contains("/bfs put ") }?.split(separator: " ").first.map(String.init))
        let export = try line("export BFS_ENDPOINT=http://127.0.0.1:\(node.proxyPort) ")
        let put = try line(binary + " put ")
        let get = try line(binary + " get ")
        let sign = try line("ts=$(date +%s); sig=")
        let curlPut = try line("curl -i -X PUT ")
        let url = "http://127.0.0.1:\(node.proxyPort)/bfs/default/cat.jpg"
        #expect(curlPut.hasSuffix(url), "\(curlPut)")

        var random = SeededGenerator(seed: SeededGenerator.printedSeed("bannerCommandsPutAndGetThroughTheProxy"))
        let first = random.bytes(300_000), second = random.bytes(70_000)
        try Data(first).write(to: URL(fileURLWithPath: dir.file("cat.jpg")))
        try Data(second).write(to: URL(fileURLWithPath: dir.file("second.jpg")))
        let script = """
            set -eu
            cd '\(dir.path)'
            \(export)
            \(put)
            \(get)
            cmp cat.jpg copy.jpg
            curl -sf \(url) -o public.jpg
            cmp cat.jpg public.jpg
            cp second.jpg cat.jpg
            \(sign)
            \(curlPut)
            curl -sf \(url) -o replaced.jpg
            cmp second.jpg replaced.jpg
            """
        try script.write(toFile: dir.file("steps.sh"), atomically: true, encoding: .utf8)
        let shell = Process()
        shell.executableURL = URL(fileURLWithPath: "/bin/bash")
        shell.arguments = [dir.file("steps.sh")]
        let output = Pipe()
        shell.standardOutput = output
        shell.standardError = output
        try shell.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        shell.waitUntilExit()
        #expect(shell.terminationStatus == 0, "\(script)\n---\n\(text)\n---\n\(up.log.suffix(3000))")
        // `bfs put` printed the file's URL; the signed curl PUT replaced it (200, not 201).
        #expect(text.contains(url), "\(text)")
        #expect(text.contains("HTTP/1.1 200 OK"), "\(text)")
        #expect(text.contains("Location: \(url)"), "\(text)")

        // The banner's console serves the UI, takes the cluster token as the login, and its
        // overview shows the node's one store.
        let console = try line("console:    http://127.0.0.1:\(node.opsPort)/")
        #expect(console.contains("cluster.token"), "\(console)")
        let ops = TestHTTPEndpoint(port: node.opsPort)
        let page = try ops.get("/login.html")
        #expect(page.status == 200 && page.text.contains("<form"), "\(page.status) \(page.text.prefix(300))")
        let token = try String(contentsOfFile: node.dataDir + "/cluster.token", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let wrong = try ops.request("POST", "/api/login", headers: [("Content-Type", "application/json")],
                                    body: Array("{\"password\":\"nope\"}".utf8))
        #expect(wrong.status == 401, "\(wrong.text)")
        let login = try ops.request("POST", "/api/login", headers: [("Content-Type", "application/json")],
                                    body: Array("{\"password\":\"\(token)\"}".utf8))
        #expect(login.status == 200, "\(login.text)")
        let overview = try ops.get("/api/overview", headers: [("Authorization", "Bearer \(token)")])
        #expect(overview.status == 200 && overview.text.contains("up-store-1"), "\(overview.text.prefix(500))")
        #expect(try ops.get("/api/overview").status == 401)
    }
}
